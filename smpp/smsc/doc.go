// Package smsc is an in-process SMPP 3.4 SMSC: the gateway's built-in
// simulator ("run with no operator", package sim), the SMSC of `smsgw
// load`, and, wrapped by smpp/smpptest, the SMSC of the tests. A zero
// Server is configured through its fields (a Listener, or none for a free
// loopback port), started with Start and stopped with Close, which waits
// for everything it started.
//
// It owns the SMSC side of a session (notes §10, spec §2.2-§2.8, §4):
//
//   - bind_transmitter/receiver/transceiver with an optional credential
//     check (ESME_RINVSYSID, ESME_RINVPASWD), ESME_RALYBND for a second bind
//     on a connection, session_init_timer, enquire_link answered in any
//     state and optionally sent by the server, unbind both ways;
//   - ESME_RINVBNDSTS for a request the bind state does not allow,
//     generic_nack ESME_RINVCMDID for unknown commands (the session goes
//     on), generic_nack ESME_RINVCMDLEN and close for a bad command_length,
//     and the request's response with the decoder's status for a malformed
//     body (§3.3); responses are never answered;
//   - submit_sm and data_sm accepted with sequential hex (or decimal, or
//     custom) message ids, recorded in a bounded ring (Submitted,
//     WaitSubmitted, Reset, OnSubmit), query_sm and cancel_sm on recorded
//     messages;
//   - delivery receipts (Appendix B text plus receipted_message_id and
//     message_state TLVs, esm_class 0x04) sent automatically when
//     registered_delivery asks (§5.2.17), after ReceiptDelay, to the
//     connection the message came on or another receiver of the same
//     system_id, queued (bounded) while none is bound; SendReceipt for
//     manual ones;
//   - injection of mobile-originated traffic: Deliver, DeliverText (GSM 03.38
//     or UCS2, long texts concatenated with an 8- or 16-bit UDH, sar_* TLVs or
//     message_payload), DeliverUSSD (ussd_service_op, its_session_info),
//     and raw Send/SendRaw of any PDU or bytes;
//   - faults, changeable at run time: throttling (every Nth submit or the
//     next N), error statuses with or without a body, delayed or dropped
//     responses and enquire_link_resp, refused binds, dropped connections,
//     server unbind, and output cut bytewise or coalesced (Faults,
//     WriteMode).
//
// A Handler can take over request handling for a test; HandleDefault is the
// built-in behaviour it can fall back on.
//
// It is production code: it must not import testing nor the smpp client
// package (whose tests use it through smpptest); it uses smpp/pdu for the
// codec and smpp/text for text, and nothing but the standard library
// otherwise. It never logs message text or passwords.
//
// Concurrency: every exported method of Server and Conn is safe for
// concurrent use. Each connection has one reader goroutine that frames,
// handles and answers requests in order; writes are serialized per
// connection and bounded by WriteTimeout; timers (receipts, delayed
// responses, keepalive) run in goroutines that Close waits for. Memory is
// bounded: MaxRecords submissions and nacks, MaxQueuedReceipts receipts per
// system_id, and pending requests that expire after ResponseTimeout.
package smsc
