// Package interop holds interoperability tests of the SMPP 3.4 stack (smpp,
// smpp/pdu, smpp/text, smpp/smpptest) against two independent
// implementations run as child processes:
//
//   - npm smpp 0.5.1 (node), with its own PDU tables, GSM 03.38 table and
//     UTF-16BE codec (iconv-lite);
//   - Net::SMPP 1.19 (Perl, Debian libnet-smpp-perl), which leaves text to the
//     application: the Perl peers carry their own GSM 03.38 table and use
//     Encode for UTF-16BE.
//
// The package has no non-test code. The peers are small scripts under
// testdata/peers (an SMSC and an ESME per implementation) that take one JSON
// argument, print one JSON object per line on stdout for every PDU they
// receive (mandatory fields, short_message and UDH as hex, the text as the
// peer decodes it, TLVs as hex), take commands as JSON lines on stdin, and
// exit on their own after a hard timeout, so a test can never hang. Expected
// octets are written out in the tests or computed with the standard library,
// never with smpp/text.
//
// TestPeerSMSC runs smpp.Client against each peer's SMSC:
//
//   - bind_transceiver (system_id, password, interface_version 0x34), and a
//     bind refused with ESME_RINVPASWD (header-only from npm smpp, with a
//     body from Net::SMPP);
//   - submit_sm of a GSM 03.38 text with extension characters and '@' (exact
//     octets) plus a TLV, and the peer's delivery receipt through the Handler;
//   - SubmitText of a long UCS-2 text with € and an emoji whose surrogate pair
//     straddles the 67-unit boundary, in every concatenation mode (8- and
//     16-bit reference UDH, sar_* TLVs, message_payload): UDH or TLVs, part
//     sizes, octets, no split surrogate pair, and the peer's own decoding;
//   - 20 concurrent submits (each response matched to its request),
//     ESME_RTHROTTLED retried after a pause, ESME_RSUBMITFAIL returned;
//   - MO deliver_sm through the Handler: GSM 03.38 ending in '@' with unknown
//     TLVs kept raw, a long UCS-2 text in reverse part order reassembled with
//     smpp/text, message_payload, USSD TLVs (ussd_service_op,
//     its_session_info), and data_sm;
//   - enquire_link both ways, unbind from the SMSC followed by a reconnect,
//     and a graceful unbind when Run's context ends.
//
// TestPeerESME runs each peer's ESME against smpptest.Server:
//
//   - bind_transceiver, a refused bind, and a bind with interface_version 0x50
//     (npm smpp's default) followed by an unbind from the server;
//   - submit_sm composed and split by the peer (GSM 03.38 with unknown TLVs, a
//     long UCS-2 text with an 8-bit reference UDH, message_payload) and
//     data_sm, as the server records, decodes and reassembles them, and the
//     server's automatic delivery receipt as the peer decodes it;
//   - MO texts from DeliverText in every concatenation mode and DeliverUSSD,
//     as the peer decodes them;
//   - enquire_link both ways and unbind from the ESME.
//
// How to run:
//
//	bash scripts/install-peers && SMSGW_INTEROP=1 go test -race ./smpp/interop/
//
// scripts/install-peers installs Net::SMPP with apt and npm smpp 0.5.1 into
// .cache/peers/node_modules. The tests find npm smpp through SMSGW_NODE_PATH
// (default: <repo root>/.cache/peers/node_modules). Without SMSGW_INTEROP=1 a
// missing peer skips its tests; with it (scripts/test sets it) a missing peer
// fails them, so CI cannot pass without running the interop suite. The
// package takes a few seconds.
//
// The tests start processes and use only 127.0.0.1 with ports chosen by the
// kernel; every wait is bounded (10 s) and every peer exits after 40 s at the
// latest. Peer tests run in parallel with each other; a failing test logs the
// peer's stdout and stderr and the client's or server's log.
package interop
