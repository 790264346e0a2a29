// Package dlr reads SMPP delivery receipts and matches their message ids to
// the ids returned in submit_sm_resp.
//
// It owns:
//
//   - parsing the receipt text of SMPP v3.4 Appendix B
//     ("id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…")
//     by key rather than by position, tolerating the variants seen in the
//     wild: lower-case or missing text:, 12-digit dates, long, hex, decimal,
//     zero-padded or UUID ids, hex err: values, extra stat words;
//   - reading receipts from deliver_sm and data_sm (esm_class message type
//     0x04, 0x08 or 0x20, §5.2.12), where the receipted_message_id,
//     message_state and network_error_code TLVs (§5.3.2.12, §5.3.2.35,
//     §5.3.2.31) take precedence over the text;
//   - the receipt states (§5.2.28 plus the words SMSCs use) and their coarse
//     outcome: delivered, pending or failed;
//   - message id normalisation and matching across hex and decimal forms,
//     per connection, like Kannel's msg-id-type.
//
// It must not do I/O, log, start goroutines or read the clock. It imports
// only smsgw/smpp/pdu and the standard library. All functions are pure and
// safe for concurrent use.
package dlr
