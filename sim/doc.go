// Package sim is the gateway's SMSC simulator as a person or a script sees
// it: phone numbers that send SMS to the gateway's short codes and receive
// its replies, with no operator behind the gateway.
//
// Simulator attaches to an smsc.Server (the production SMSC of smpp/smsc):
// it injects MOs as deliver_sm (Send) and keeps, in memory, the recent MOs
// and the MTs the gateway submits, concatenated parts joined (Thread).
// Handler is its HTTP API, the only one: the web phone's script, the web
// phone's HTML form (through Handler.Send), `smsgw sim send` and scripts
// all use it. The package knows nothing of the gateway's domain beyond
// Indonesian MSISDN syntax: the short codes and the masking of PINs in MO
// texts (Options.Redact) come from its options.
//
// # HTTP
//
// Under the prefix (default /sim), JSON in and out:
//
//	POST /sim/send                    {"msisdn","to","text"}: the MO as SendResponse {"message","since","cursor"}
//	GET  /sim/events?msisdn=&after=   Server-Sent Events: "message" events (id: revision, data: Message JSON), then "ready"
//	GET  /sim/messages?msisdn=&after=&wait= {"messages":[...],"cursor":N}, waiting up to 25s for the first change
//
// A Message has id, rev (the cursor of its last change), dir ("mo" or
// "mt"), msisdn, code (the short code), text (PINs masked), status (of an
// MO: "sending", "delivered" or why it failed) and, for an MT, message_id.
// Replies to an MO come after its response's "since"; `smsgw sim send`
// reads the MTs after it from /sim/messages.
//
// Bad input is answered 400 with {"error": "..."} naming the field; a body
// over 16 KiB 413; a body that is not JSON 415; an MO the gateway did not
// take 503 with the message (its status the SMPP status, e.g.
// ESME_RX_T_APPN) and the error. Cross-origin POSTs are refused
// (http.CrossOriginProtection): a page on another origin cannot inject MOs
// through the operator's browser.
//
// Simulator and Handler are safe for concurrent use.
package sim
