#!/usr/bin/perl
# A scriptable SMSC built on Net::SMPP (Net::SMPP->new_listen, async mode),
# used as an independent peer for the ESME client under test.
#
# Usage: perl smsc.pl '<json config>'
#   {"port": 0, "system_id": "esme", "password": "secret", "timeout": 30}
# port 0 picks a free port; the chosen one is printed in the "listening" event.
#
# Behaviour (same contract as ../node/smsc.js):
#   - bind_transceiver with the configured system_id/password is accepted
#     (bind_transceiver_resp with system_id PERLSMSC and sc_interface_version
#     0x34); a wrong system_id gets ESME_RINVSYSID, a wrong password
#     ESME_RINVPASWD. Net::SMPP always writes the system_id body, also in error
#     responses.
#   - submit_sm is answered with message ids "perl-1", "perl-2", ...; if
#     registered_delivery asks for a receipt, a delivery receipt deliver_sm
#     (esm_class 0x04, receipted_message_id and message_state TLVs) follows.
#   - enquire_link and unbind are answered; after unbind_resp the connection
#     is closed. Other requests get generic_nack ESME_RINVCMDID.
# Commands on stdin (one JSON object per line) act on the most recently bound
# session that is still bound:
#   {"cmd":"mo", ...}  {"cmd":"data_sm", ...}  {"cmd":"fail_next", ...}
#   (fields as in ../node/smsc.js; fail_next error responses carry a body, an
#   empty message_id, as Net::SMPP always writes one)
#   {"cmd":"enquire_link"}   {"cmd":"unbind"}   {"cmd":"exit"}
# The process exits on "exit", at EOF on stdin, or with status 2 after timeout
# seconds.

use strict;
use warnings;
use File::Basename qw(dirname);
use lib dirname(__FILE__);
use IO::Select;
use Net::SMPP;
use POSIX ();
use Peer qw(emit config watchdog split_text coding_byte record hexstr gsm_encode text_encode tlv_list raw_tlvs);

use constant {
    ESME_ROK        => 0x00,
    ESME_RINVCMDID  => 0x03,
    ESME_RINVBNDSTS => 0x04,
    ESME_RALYBND    => 0x05,
    ESME_RBINDFAIL  => 0x0D,
    ESME_RINVPASWD  => 0x0E,
    ESME_RINVSYSID  => 0x0F,
};

my $cfg = config();
my $dog = watchdog($cfg->{timeout} || 30);
emit(event => 'ready', peer => 'Net::SMPP', version => $Net::SMPP::VERSION);

my $listen = Net::SMPP->new_listen('127.0.0.1', port => $cfg->{port} || 0, async => 1, timeout => 5)
  or do { emit(event => 'error', message => "listen: $!"); exit 1 };
emit(event => 'listening', port => $listen->sockport);

my $sel = IO::Select->new($listen, \*STDIN);
my %conns;        # fileno => {smpp, id, bound, pending => {seq => {ref, part}}}
my @bound;        # bound connections, oldest first; commands use the last
my ($next_conn, $next_msg) = (0, 0);
my %fail_next = (status => 0, count => 0);    # answer the next submits with an error
my %mo;           # ref => {parts, left, statuses}
my $stdin_buf = '';

sub finish {
    my ($code) = @_;
    emit(event => 'exit');
    kill 'KILL', $dog;
    POSIX::_exit($code);
}

sub current { return @bound ? $bound[-1] : undef }

sub unbound {
    my ($c) = @_;
    $c->{bound} = 0;
    @bound = grep { $_ != $c } @bound;
}

sub drop {
    my ($c) = @_;
    $sel->remove($c->{smpp});
    delete $conns{ $c->{fd} };
    unbound($c);
    close $c->{smpp};
    emit(event => 'closed', conn => $c->{id});
}

sub stamp {
    my @t = gmtime;
    return sprintf '%02d%02d%02d%02d%02d', $t[5] % 100, $t[4] + 1, $t[3], $t[2], $t[1];
}

sub send_receipt {
    my ($c, %rec) = @_;
    my $now  = stamp();
    my $excerpt = substr(($rec{text} // '') =~ s/[^A-Za-z0-9 ]/?/gr, 0, 20);
    my $text = "id:$rec{message_id} sub:001 dlvrd:001 submit date:$now done date:$now stat:DELIVRD err:000 Text:$excerpt";
    my $seq = $c->{smpp}->deliver_sm(
        source_addr_ton      => $rec{dest_addr_ton},
        source_addr_npi      => $rec{dest_addr_npi},
        source_addr          => $rec{destination_addr},
        dest_addr_ton        => $rec{source_addr_ton},
        dest_addr_npi        => $rec{source_addr_npi},
        destination_addr     => $rec{source_addr},
        esm_class            => 0x04,
        data_coding          => 0x00,
        short_message        => gsm_encode($text),
        receipted_message_id => "$rec{message_id}\0",
        message_state        => pack('C', 2),
    );
    $c->{pending}{$seq} = {ref => "dlr:$rec{message_id}"};
    emit(event => 'dlr_sent', conn => $c->{id}, message_id => $rec{message_id}, seq => $seq, text => $text);
}

sub bind_status {
    my ($c, $pdu) = @_;
    return ESME_RALYBND   if $c->{bound};
    return ESME_RINVSYSID if $pdu->{system_id} ne $cfg->{system_id};
    return ESME_RINVPASWD if $pdu->{password} ne $cfg->{password};
    return ESME_RBINDFAIL if $pdu->{cmd} != 0x09;
    return ESME_ROK;
}

sub handle_pdu {
    my ($c, $pdu) = @_;
    my $s   = $c->{smpp};
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x01 || $cmd == 0x02 || $cmd == 0x09) {
        my $status = bind_status($c, $pdu);
        emit(event => 'bind', conn => $c->{id}, command => $pdu->explain_cmd, seq => $pdu->{seq},
            system_id => $pdu->{system_id}, password_ok => ($pdu->{password} eq $cfg->{password} ? JSON::PP::true() : JSON::PP::false()),
            system_type => $pdu->{system_type}, interface_version => $pdu->{interface_version},
            addr_ton => $pdu->{addr_ton}, addr_npi => $pdu->{addr_npi}, address_range => $pdu->{address_range},
            status => $status);
        my $resp = $cmd == 0x09 ? 'bind_transceiver_resp' : $cmd == 0x02 ? 'bind_transmitter_resp' : 'bind_receiver_resp';
        if ($status == ESME_ROK) {
            $s->$resp(seq => $pdu->{seq}, system_id => 'PERLSMSC', sc_interface_version => pack('C', 0x34));
            $c->{bound} = 1;
            push @bound, $c;
        } else {
            $s->$resp(seq => $pdu->{seq}, status => $status, system_id => 'PERLSMSC');
        }
    } elsif ($cmd == 0x04) {
        my %rec = record('submit_sm', $pdu);
        $rec{conn} = $c->{id};
        if (!$c->{bound}) {
            $rec{status} = ESME_RINVBNDSTS;
            emit(%rec);
            $s->submit_sm_resp(seq => $pdu->{seq}, status => ESME_RINVBNDSTS, message_id => '');
            return;
        }
        if ($fail_next{count} > 0) {
            $fail_next{count}--;
            $rec{status} = $fail_next{status};
            emit(%rec);
            $s->submit_sm_resp(seq => $pdu->{seq}, status => $fail_next{status}, message_id => '');
            return;
        }
        $rec{status}     = ESME_ROK;
        $rec{message_id} = 'perl-' . ++$next_msg;
        emit(%rec);
        $s->submit_sm_resp(seq => $pdu->{seq}, message_id => $rec{message_id});
        send_receipt($c, %rec) if $rec{registered_delivery} & 0x03;
    } elsif ($cmd == 0x80000005) {
        my $p = delete $c->{pending}{ $pdu->{seq} } // {ref => undef};
        emit(event => 'deliver_sm_resp', conn => $c->{id}, ref => $p->{ref}, part => $p->{part},
            seq => $pdu->{seq}, status => $pdu->{status}, message_id => $pdu->{message_id},
            command_length => 16 + length $pdu->{data});
        if (defined $p->{part} && (my $m = $mo{ $p->{ref} })) {
            $m->{statuses}[ $p->{part} - 1 ] = $pdu->{status};
            if (--$m->{left} == 0) {
                emit(event => 'mo_done', ref => $p->{ref}, parts => $m->{parts}, statuses => $m->{statuses});
            }
        }
    } elsif ($cmd == 0x80000103) {
        my $p = delete $c->{pending}{ $pdu->{seq} } // {ref => undef};
        emit(event => 'data_sm_resp', conn => $c->{id}, ref => $p->{ref}, seq => $pdu->{seq},
            status => $pdu->{status}, message_id => (length $pdu->{data} ? $pdu->{message_id} : undef),
            tlvs => tlv_list($pdu), command_length => 16 + length $pdu->{data});
    } elsif ($cmd == 0x15) {
        emit(event => 'enquire_link', conn => $c->{id}, seq => $pdu->{seq});
        $s->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x80000015) {
        emit(event => 'enquire_link_resp', conn => $c->{id}, seq => $pdu->{seq}, status => $pdu->{status});
    } elsif ($cmd == 0x06) {
        emit(event => 'unbind', conn => $c->{id}, seq => $pdu->{seq});
        $s->unbind_resp(seq => $pdu->{seq});
        drop($c);
    } elsif ($cmd == 0x80000006) {
        emit(event => 'unbind_resp', conn => $c->{id}, seq => $pdu->{seq}, status => $pdu->{status});
        drop($c);
    } else {
        emit(event => 'pdu', conn => $c->{id}, command => $pdu->explain_cmd, command_id => $cmd,
            status => $pdu->{status}, seq => $pdu->{seq}, hex => hexstr($pdu->{data}));
        $s->generic_nack(seq => $pdu->{seq}, status => ESME_RINVCMDID) unless $cmd & 0x80000000;
    }
}

sub send_mo {
    my ($cmd) = @_;
    my $c = current() or return emit(event => 'error', ref => $cmd->{ref}, message => 'mo: no bound session');
    my $coding = $cmd->{coding} || 'gsm7';
    my @parts = $cmd->{payload} ? ([undef, text_encode($cmd->{text}, $coding)])
      : split_text($cmd->{text}, $coding, $cmd->{udh_ref} || 1);
    my @tlvs;
    push @tlvs, ussd_service_op => pack('C', $cmd->{ussd_service_op}) if defined $cmd->{ussd_service_op};
    push @tlvs, its_session_info => pack('H*', $cmd->{its_session_info}) if defined $cmd->{its_session_info};
    push @tlvs, raw_tlvs($cmd->{raw_tlvs});
    my @order = 0 .. $#parts;
    @order = reverse @order if $cmd->{reverse};
    $mo{ $cmd->{ref} } = {parts => scalar @parts, left => scalar @parts, statuses => []};
    for my $i (@order) {
        my ($udh, $ud) = @{ $parts[$i] };
        my $seq = $c->{smpp}->deliver_sm(
            service_type     => $cmd->{service_type} // '',
            source_addr_ton  => $cmd->{source_addr_ton} // 0,
            source_addr_npi  => $cmd->{source_addr_npi} // 0,
            source_addr      => $cmd->{source_addr} // '',
            dest_addr_ton    => $cmd->{dest_addr_ton} // 0,
            dest_addr_npi    => $cmd->{dest_addr_npi} // 0,
            destination_addr => $cmd->{destination_addr} // '',
            esm_class        => defined $udh ? 0x40 : 0x00,
            data_coding      => coding_byte($coding),
            ($cmd->{payload} ? (short_message => '', message_payload => $ud)
                : (short_message => (defined $udh ? $udh : '') . $ud)),
            @tlvs,
        );
        $c->{pending}{$seq} = {ref => $cmd->{ref}, part => $i + 1};
        emit(event => 'deliver_sm_sent', ref => $cmd->{ref}, part => $i + 1, seq => $seq);
    }
}

sub send_data_sm {
    my ($cmd) = @_;
    my $c = current() or return emit(event => 'error', ref => $cmd->{ref}, message => 'data_sm: no bound session');
    my $coding = $cmd->{coding} || 'gsm7';
    my $seq = $c->{smpp}->data_sm(
        service_type     => $cmd->{service_type} // '',
        source_addr_ton  => $cmd->{source_addr_ton} // 0,
        source_addr_npi  => $cmd->{source_addr_npi} // 0,
        source_addr      => $cmd->{source_addr} // '',
        dest_addr_ton    => $cmd->{dest_addr_ton} // 0,
        dest_addr_npi    => $cmd->{dest_addr_npi} // 0,
        destination_addr => $cmd->{destination_addr} // '',
        esm_class        => 0x00,
        registered_delivery => 0,
        data_coding      => coding_byte($coding),
        message_payload  => text_encode($cmd->{text}, $coding),
    );
    $c->{pending}{$seq} = {ref => $cmd->{ref}};
}

sub handle_command {
    my ($line) = @_;
    my $cmd = eval { JSON::PP->new->utf8->decode($line) };
    return emit(event => 'error', message => "bad command: $@") unless $cmd;
    my $op = $cmd->{cmd} // '';
    if ($op eq 'mo') {
        send_mo($cmd);
    } elsif ($op eq 'data_sm') {
        send_data_sm($cmd);
    } elsif ($op eq 'fail_next') {
        %fail_next = (status => $cmd->{status}, count => $cmd->{count} || 1);
        emit(event => 'ok', cmd => $op);
    } elsif ($op eq 'enquire_link') {
        my $c = current() or return emit(event => 'error', message => 'enquire_link: no bound session');
        my $seq = $c->{smpp}->enquire_link();
        emit(event => 'enquire_link_sent', seq => $seq);
    } elsif ($op eq 'unbind') {
        my $c = current() or return emit(event => 'error', message => 'unbind: no bound session');
        unbound($c);
        my $seq = $c->{smpp}->unbind();
        emit(event => 'unbind_sent', seq => $seq);
    } elsif ($op eq 'exit') {
        finish(0);
    } else {
        emit(event => 'error', message => "unknown command $op");
    }
}

while (1) {
    for my $fh ($sel->can_read(1)) {
        if ($fh == $listen) {
            my $s = $listen->accept or next;
            my $c = {smpp => $s, id => ++$next_conn, bound => 0, pending => {}, fd => fileno $s};
            $conns{ $c->{fd} } = $c;
            $sel->add($s);
            emit(event => 'connect', conn => $c->{id});
        } elsif ($fh == \*STDIN) {
            my $n = sysread STDIN, $stdin_buf, 4096, length $stdin_buf;
            finish(0) unless $n;
            while ($stdin_buf =~ s/^([^\n]*)\n//) {
                my $line = $1;
                handle_command($line) if $line =~ /\S/;
            }
        } else {
            my $c = $conns{ fileno $fh } or next;
            my $pdu = $c->{smpp}->read_pdu();
            if (!$pdu) {
                drop($c);
                next;
            }
            handle_pdu($c, $pdu);
        }
    }
}
