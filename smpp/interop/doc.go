// Package interop holds interoperability tests of the SMPP 3.4 stack (smpp,
// smpp/pdu, smpp/text, smpp/smpptest) against two independent
// implementations run as child processes:
//
//   - npm smpp 0.5.1 (node), with its own PDU tables, GSM 03.38 table and
//     UTF-16BE codec (iconv-lite);
//   - Net::SMPP 1.19 (Perl, Debian libnet-smpp-perl), whose text handling is
//     left to the application: the peer scripts carry a separate GSM 03.38
//     table and use Encode for UTF-16BE.
//
// The package has no non-test code. The peers are small scripts under
// testdata/peers that take one JSON argument, print one JSON object per line
// on stdout describing every PDU they received (fields, short_message and UDH
// as hex, decoded text, TLVs), accept commands as JSON lines on stdin, and
// exit on their own after a hard timeout, so a test can never hang.
//
// For each peer the tests cover, in both directions:
//
//   - the peer as SMSC and smpp.Client as ESME: bind_transceiver (and a refused
//     bind with a wrong password), submit_sm of a GSM 03.38 text with
//     extension characters and '@' (exact octets checked), a long UCS-2 text
//     with € and an emoji split by smpp/text into concatenated parts with an
//     8-bit reference UDH (octets, UDH, part sizes and the peer's decoding
//     checked), the peer's delivery receipt and MO deliver_sm (GSM 03.38, and
//     a long UCS-2 text sent in reverse part order) through smpp.Handler,
//     enquire_link both ways, unbind from the SMSC followed by a reconnect, and
//     a graceful unbind from the client;
//   - the peer as ESME and smpptest.Server as SMSC: bind_transceiver (and a
//     refused bind), submit_sm of the same texts composed and split by the
//     peer (decoded and reassembled by the server), the server's delivery
//     receipt and MO texts received and decoded by the peer, enquire_link both
//     ways, unbind from the ESME and from the server.
//
// How to run:
//
//	bash scripts/install-peers && SMSGW_INTEROP=1 go test -race ./smpp/interop/
//
// scripts/install-peers installs Net::SMPP with apt and npm smpp 0.5.1 into
// .cache/peers/node_modules. The tests find npm smpp through SMSGW_NODE_PATH
// (default: <repo root>/.cache/peers/node_modules). Without SMSGW_INTEROP=1 a
// missing peer skips its tests; with it (as scripts/test sets) a missing peer
// fails them, so CI cannot pass without running the interop suite.
//
// The tests only start processes, listen on and dial 127.0.0.1 with ports
// chosen by the kernel; each peer runs with a hard timeout and every wait in
// the tests is bounded.
package interop
