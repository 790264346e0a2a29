#!/usr/bin/perl
# An ESME built on Net::SMPP (new_connect + bind_transceiver, async mode),
# used as an independent peer for the SMSC under test.
#
# Usage: perl esme.pl '<json config>'   (config and flow as in ../node/esme.js)
#   {"host": "127.0.0.1", "port": 2775, "system_id": "esme", "password": "secret",
#    "timeout": 30, "submits": [{"ref": "r", "text": "..", "coding": "gsm7"|"ucs2",
#    "udh_ref": 9, "source_addr": "..", "source_addr_ton": 5, "source_addr_npi": 0,
#    "destination_addr": "..", "dest_addr_ton": 1, "dest_addr_npi": 1,
#    "registered_delivery": 0}]}
#
# Flow: bind_transceiver (interface_version 0x34 unless configured); if the
# bind fails print bind_resp and exit 0. Otherwise send every submit, one
# submit_sm at a time (long texts as concatenated parts with an 8-bit reference
# UDH, or whole in message_payload if payload; kind data_sm sends one data_sm
# with message_payload; GSM 03.38 and UTF-16BE encoded by Peer.pm), then print
# submits_done. Every deliver_sm is
# printed and answered with ESME_ROK; enquire_link and unbind from the SMSC are
# answered. Commands on stdin: {"cmd":"enquire_link"}, {"cmd":"unbind"}; EOF
# acts as unbind. After timeout seconds: exit 2.

use strict;
use warnings;
use File::Basename qw(dirname);
use lib dirname(__FILE__);
use IO::Select;
use Net::SMPP;
use POSIX ();
use Peer qw(emit config watchdog split_text coding_byte record hexstr tlv_list text_encode raw_tlvs);

my $cfg = config();
my $dog = watchdog($cfg->{timeout} || 30);
emit(event => 'ready', peer => 'Net::SMPP', version => $Net::SMPP::VERSION);

sub finish {
    my ($code) = @_;
    emit(event => 'exit');
    kill 'KILL', $dog;
    POSIX::_exit($code);
}

my $smpp = Net::SMPP->new_connect($cfg->{host} || '127.0.0.1',
    port => $cfg->{port}, system_id => $cfg->{system_id}, password => $cfg->{password},
    system_type => $cfg->{system_type} // '', interface_version => $cfg->{interface_version} // 0x34,
    async => 1, timeout => 5)
  or do { emit(event => 'error', message => "connect: $!"); finish(1) };
emit(event => 'connected');

my $bound = 0;
my %pending;    # seq => event name to print for its response

sub closed {
    emit(event => 'closed');
    finish(0);
}

# handle answers or records one PDU that is not the response being waited for.
sub handle {
    my ($pdu) = @_;
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x05) {
        emit(record('deliver_sm', $pdu));
        $smpp->deliver_sm_resp(seq => $pdu->{seq}, message_id => '');
    } elsif ($cmd == 0x15) {
        emit(event => 'enquire_link', seq => $pdu->{seq});
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x06) {
        emit(event => 'unbind', seq => $pdu->{seq});
        $smpp->unbind_resp(seq => $pdu->{seq});
        closed();
    } elsif (my $name = delete $pending{ $pdu->{seq} }) {
        emit(event => $name, seq => $pdu->{seq}, status => $pdu->{status});
    } else {
        emit(event => 'pdu', command => $pdu->explain_cmd, command_id => $cmd, status => $pdu->{status},
            seq => $pdu->{seq}, hex => hexstr($pdu->{data}));
        $smpp->generic_nack(seq => $pdu->{seq}, status => 0x03) unless $cmd & 0x80000000;
    }
}

# wait_resp reads PDUs, handling everything else, until the response with
# command id $want and sequence $seq (or a generic_nack for $seq) arrives.
sub wait_resp {
    my ($want, $seq) = @_;
    while (1) {
        my $pdu = $smpp->read_pdu() or closed();
        return $pdu if $pdu->{seq} == $seq && ($pdu->{cmd} == $want || $pdu->{cmd} == 0x80000000);
        handle($pdu);
    }
}

my $bseq = $smpp->bind_transceiver();
my $bresp = wait_resp(0x80000009, $bseq);
emit(event => 'bind_resp', seq => $bresp->{seq}, status => $bresp->{status},
    system_id => (length $bresp->{data} ? $bresp->{system_id} : undef), tlvs => tlv_list($bresp),
    command_length => 16 + length $bresp->{data});
if ($bresp->{status} != 0) {
    close $smpp;
    finish(0);
}
$bound = 1;

for my $s (@{ $cfg->{submits} || [] }) {
    my $coding = $s->{coding} || 'gsm7';
    if (($s->{kind} // '') eq 'data_sm') {
        my $seq = $smpp->data_sm(
            service_type        => $s->{service_type} // '',
            source_addr_ton     => $s->{source_addr_ton} // 0,
            source_addr_npi     => $s->{source_addr_npi} // 0,
            source_addr         => $s->{source_addr} // '',
            dest_addr_ton       => $s->{dest_addr_ton} // 0,
            dest_addr_npi       => $s->{dest_addr_npi} // 0,
            destination_addr    => $s->{destination_addr},
            esm_class           => 0x00,
            registered_delivery => $s->{registered_delivery} // 0,
            data_coding         => coding_byte($coding),
            message_payload     => text_encode($s->{text}, $coding),
        );
        my $r = wait_resp(0x80000103, $seq);
        emit(event => 'data_sm_resp', ref => $s->{ref}, seq => $r->{seq}, status => $r->{status},
            message_id => (length $r->{data} ? $r->{message_id} : undef));
        next;
    }
    my @parts = $s->{payload} ? ([undef, text_encode($s->{text}, $coding)])
      : split_text($s->{text}, $coding, $s->{udh_ref} || 1);
    for my $i (0 .. $#parts) {
        my ($udh, $ud) = @{ $parts[$i] };
        my $seq = $smpp->submit_sm(
            service_type        => $s->{service_type} // '',
            source_addr_ton     => $s->{source_addr_ton} // 0,
            source_addr_npi     => $s->{source_addr_npi} // 0,
            source_addr         => $s->{source_addr} // '',
            dest_addr_ton       => $s->{dest_addr_ton} // 0,
            dest_addr_npi       => $s->{dest_addr_npi} // 0,
            destination_addr    => $s->{destination_addr},
            esm_class           => defined $udh ? 0x40 : 0x00,
            registered_delivery => $s->{registered_delivery} // 0,
            data_coding         => coding_byte($coding),
            ($s->{payload} ? (short_message => '', message_payload => $ud)
                : (short_message => (defined $udh ? $udh : '') . $ud)),
            raw_tlvs($s->{raw_tlvs}),
        );
        emit(event => 'submit_sm_sent', ref => $s->{ref}, part => $i + 1, parts => scalar @parts, seq => $seq);
        my $r = wait_resp(0x80000004, $seq);
        emit(event => 'submit_sm_resp', ref => $s->{ref}, part => $i + 1, parts => scalar @parts, seq => $r->{seq},
            status => $r->{status}, message_id => (length $r->{data} ? $r->{message_id} : undef));
    }
}
emit(event => 'submits_done');

sub unbind {
    my $seq = $smpp->unbind();
    my $r = wait_resp(0x80000006, $seq);
    emit(event => 'unbind_resp', seq => $r->{seq}, status => $r->{status});
    close $smpp;
    closed();
}

my $sel = IO::Select->new($smpp, \*STDIN);
my $buf = '';
while (1) {
    for my $fh ($sel->can_read(1)) {
        if ($fh == \*STDIN) {
            my $n = sysread STDIN, $buf, 4096, length $buf;
            unbind() unless $n;
            while ($buf =~ s/^([^\n]*)\n//) {
                my $line = $1;
                next unless $line =~ /\S/;
                my $cmd = eval { JSON::PP->new->utf8->decode($line) } // {cmd => ''};
                if ($cmd->{cmd} eq 'enquire_link') {
                    my $seq = $smpp->enquire_link();
                    $pending{$seq} = 'enquire_link_resp';
                } elsif ($cmd->{cmd} eq 'unbind') {
                    unbind();
                } else {
                    emit(event => 'error', message => "unknown command $line");
                }
            }
        } else {
            my $pdu = $smpp->read_pdu() or closed();
            handle($pdu);
        }
    }
}
