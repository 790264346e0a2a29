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
// # USSD
//
// The simulator also plays the network side of USSD over the same SMPP
// bind. DialUSSD opens a session for a subscriber: the dial string
// (*9779#) goes to the gateway as a deliver_sm with ussd_service_op 1
// (PSSR indication) and its_session_info carrying a new session number
// (one per dialogue, unique among the open ones) and sequence 0.
// AnswerUSSD sends each input as ussd_service_op 18 (USSR confirm) with
// the sequence after the gateway's. A submit_sm from the gateway with
// service_type "USSD" or the ussd_service_op TLV is a screen, never an SMS
// of the thread: it goes to the session of its its_session_info session
// number (or the subscriber's open session without one); op 2 (USSR
// request) waits for the subscriber's input, op 17 (PSSR response), 16 or
// the end bit of its_session_info ends the session. A screen for no open
// session is dropped. The network ends a session itself, with a release
// to the gateway (ussd_service_op 0x81 and the end bit): when the
// subscriber hangs up (CancelUSSD), after Options.USSDTimeout without
// input (default 180s), when the gateway does not answer within
// Options.USSDAnswerWait (default 10s), and when the subscriber dials
// again. A subscriber's phone may also just drop the session (CancelUSSD
// with drop): the gateway is told nothing. USSD inputs are not kept.
//
//	POST /sim/ussd/dial               {"msisdn","dial"}: the first screen as {"screen":{...}}
//	POST /sim/ussd/answer             {"msisdn","text"}: the next screen
//	POST /sim/ussd/cancel             {"msisdn","drop"}: the ended screen
//	GET  /sim/ussd?msisdn=            the last screen of the number's latest session (404 when none)
//
// A screen (USSDScreen) has session, msisdn, code (the service code),
// text, end, reason (why the network ended it: cancelled, dropped,
// timeout, no_answer, replaced, failed) and time. The USSD endpoints are
// served when HandlerOptions.USSDCodes names the service codes a phone
// may dial; a dial string that is not *CODE# (or *CODE*ARG...#) of one of
// them, or an input that is empty or over 182 characters, is answered 400;
// an input without an open session, or while a screen is on its way, 409;
// a dial or input the gateway did not take or answer, 503 with the ended
// screen.
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
