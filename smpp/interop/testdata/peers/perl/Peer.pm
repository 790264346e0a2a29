package Peer;
# Helpers shared by the Net::SMPP peers (smsc.pl, esme.pl).
#
# Output contract: one JSON object per line on stdout, each with an "event"
# field. Diagnostics go to stderr. watchdog() makes the process exit with
# status 2 (after printing {"event":"timeout"}) once its time is up, even while
# Net::SMPP blocks in a read.
#
# Net::SMPP leaves text encoding to the application, so this file carries its
# own GSM 03.38 table (3GPP TS 23.038 §6.2.1) and uses Encode for UTF-16BE.

use strict;
use warnings;
use Encode ();
use JSON::PP ();
use POSIX ();

use Exporter 'import';
our @EXPORT_OK = qw(emit config watchdog gsm_encode gsm_decode text_encode text_decode
  split_text coding_byte record tlv_list hexstr raw_tlvs);

my $json = JSON::PP->new->utf8->canonical;
$| = 1;

sub emit {
    my (%h) = @_;
    print $json->encode(\%h), "\n";
}

sub hexstr { return unpack 'H*', (defined $_[0] ? $_[0] : '') }

# config decodes the single JSON argument every peer takes.
sub config {
    die "usage: $0 '<json config>'\n" unless @ARGV;
    return $json->decode($ARGV[0]);
}

# watchdog forks a child that sends SIGTERM to this process after $secs
# seconds; the TERM handler prints the timeout event and exits with 2. The
# child drops stdio first so it never keeps the caller's pipes open, and it
# leaves as soon as the parent is gone.
sub watchdog {
    my ($secs) = @_;
    my $parent = $$;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN,  '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        for (1 .. $secs) {
            sleep 1;
            POSIX::_exit(0) if getppid() != $parent;
        }
        kill 'TERM', $parent;
        POSIX::_exit(0);
    }
    $SIG{TERM} = sub {
        emit(event => 'timeout', after_seconds => $secs);
        POSIX::_exit(2);
    };
    return $pid;
}

# GSM 03.38 default alphabet: septet => code point. 0x1B is the escape to the
# extension table.
my @gsm = (
    0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5,
    0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, undef, 0xC6, 0xE6, 0xDF, 0xC9,
    0x20, 0x21, 0x22, 0x23, 0xA4, 0x25 .. 0x3F,
    0xA1, 0x41 .. 0x5A, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7,
    0xBF, 0x61 .. 0x7A, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
);
die "GSM table has " . scalar(@gsm) . " entries" unless @gsm == 128;
my %gsm_ext = (0x0A => 0x0C, 0x14 => 0x5E, 0x28 => 0x7B, 0x29 => 0x7D, 0x2F => 0x5C,
    0x3C => 0x5B, 0x3D => 0x7E, 0x3E => 0x5D, 0x40 => 0x7C, 0x65 => 0x20AC);
my (%enc, %enc_ext);
for my $i (0 .. 127) { $enc{ $gsm[$i] } = $i if defined $gsm[$i] }
$enc_ext{ $gsm_ext{$_} } = $_ for keys %gsm_ext;

# gsm_encode returns unpacked septets (one per octet) or dies if a character
# is in neither table.
sub gsm_encode {
    my ($s) = @_;
    my $out = '';
    for my $ch (split //, $s) {
        my $cp = ord $ch;
        if (exists $enc{$cp}) { $out .= chr $enc{$cp} }
        elsif (exists $enc_ext{$cp}) { $out .= "\x1B" . chr $enc_ext{$cp} }
        else { die sprintf("U+%04X is not in GSM 03.38\n", $cp) }
    }
    return $out;
}

sub gsm_decode {
    my ($b) = @_;
    my $out = '';
    my @s = map { $_ & 0x7F } unpack 'C*', $b;
    for (my $i = 0; $i < @s; $i++) {
        if ($s[$i] == 0x1B) {
            $i++;
            if ($i >= @s) { $out .= ' '; last }
            my $e = $gsm_ext{ $s[$i] };
            $out .= defined $e ? chr $e : chr($gsm[ $s[$i] ] // 0x20);
            next;
        }
        $out .= chr $gsm[ $s[$i] ];
    }
    return $out;
}

sub coding_byte {
    my ($coding) = @_;
    return 0x00 if $coding eq 'gsm7';
    return 0x08 if $coding eq 'ucs2';
    die "unknown coding $coding\n";
}

sub text_encode {
    my ($s, $coding) = @_;
    return gsm_encode($s) if $coding eq 'gsm7';
    return Encode::encode('UTF-16BE', $s);
}

sub text_decode {
    my ($dcs, $b) = @_;
    return gsm_decode($b) if $dcs == 0x00;
    return Encode::decode('UTF-16BE', $b) if $dcs == 0x08;
    return undef;
}

# split_text cuts a text into [udh, user data] pairs that each fit one SMS with
# an 8-bit reference concatenation UDH (05 00 03 ref total seq): GSM 160
# septets alone or 153 per part, UCS-2 70 UTF-16 units alone or 67 per part,
# never splitting an escape pair or a surrogate pair. udh is undef when the
# text fits one SMS.
sub split_text {
    my ($s, $coding, $ref) = @_;
    my @chars = split //, $s;
    my $cost = sub { length(text_encode($_[0], $coding)) / ($coding eq 'ucs2' ? 2 : 1) };
    my ($single, $per) = $coding eq 'ucs2' ? (70, 67) : (160, 153);
    my $total = 0;
    $total += $cost->($_) for @chars;
    return ([undef, text_encode($s, $coding)]) if $total <= $single;
    my (@parts, $cur, $used);
    ($cur, $used) = ('', 0);
    for my $ch (@chars) {
        my $c = $cost->($ch);
        if ($used + $c > $per) { push @parts, $cur; ($cur, $used) = ('', 0) }
        $cur .= $ch;
        $used += $c;
    }
    push @parts, $cur if length $cur;
    my $n = @parts;
    return map { [pack('C6', 5, 0, 3, $ref & 0xFF, $n, $_ + 1), text_encode($parts[$_], $coding)] } 0 .. $#parts;
}

# raw_tlvs turns [{tag, hex}] into Net::SMPP optional parameters sent as they
# are, registering a name for each tag (Net::SMPP packs numeric tags as
# integers, named ones as raw octets).
sub raw_tlvs {
    my ($list) = @_;
    my @out;
    for my $t (@{ $list || [] }) {
        my $name = "raw_tlv_$t->{tag}";
        $Net::SMPP::param_by_name{$name} = $t->{tag};
        push @out, $name => pack('H*', $t->{hex});
    }
    return @out;
}

# tlv_list lists the TLVs Net::SMPP decoded (it stores each under its numeric
# tag) as [{tag, hex}] in tag order.
sub tlv_list {
    my ($pdu) = @_;
    return [map { {tag => $_ + 0, hex => hexstr($pdu->{$_})} } sort { $a <=> $b } grep { /^\d+$/ } keys %$pdu];
}

# record describes a received submit_sm or deliver_sm in the same shape as the
# npm smpp peers: mandatory fields, short_message hex, UDH hex, decoded text
# (without the UDH), TLVs, and the decoded message_payload if there is one.
sub record {
    my ($event, $pdu) = @_;
    my $sm = $pdu->{short_message} // '';
    my ($udh, $ud) = ('', $sm);
    if (($pdu->{esm_class} & 0x40) && length $sm) {
        my $n = ord(substr $sm, 0, 1) + 1;
        $udh = substr $sm, 0, $n;
        $ud  = substr $sm, $n;
    }
    my @payload;
    @payload = (payload_text => text_decode($pdu->{data_coding}, $pdu->{message_payload}))
      if defined $pdu->{message_payload};
    return (
        @payload,
        event                   => $event,
        seq                     => $pdu->{seq},
        service_type            => $pdu->{service_type},
        source_addr_ton         => $pdu->{source_addr_ton},
        source_addr_npi         => $pdu->{source_addr_npi},
        source_addr             => $pdu->{source_addr},
        dest_addr_ton           => $pdu->{dest_addr_ton},
        dest_addr_npi           => $pdu->{dest_addr_npi},
        destination_addr        => $pdu->{destination_addr},
        esm_class               => $pdu->{esm_class},
        protocol_id             => $pdu->{protocol_id},
        priority_flag           => $pdu->{priority_flag},
        schedule_delivery_time  => $pdu->{schedule_delivery_time},
        validity_period         => $pdu->{validity_period},
        registered_delivery     => $pdu->{registered_delivery},
        replace_if_present_flag => $pdu->{replace_if_present_flag},
        data_coding             => $pdu->{data_coding},
        sm_default_msg_id       => $pdu->{sm_default_msg_id},
        sm_length               => length $sm,
        short_message           => hexstr($sm),
        udh                     => hexstr($udh),
        text                    => text_decode($pdu->{data_coding}, $ud),
        tlvs                    => tlv_list($pdu),
    );
}

1;
