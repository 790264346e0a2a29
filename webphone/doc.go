// Package webphone is the web phone of the embedded SMSC simulator: a page
// where a person plays a subscriber, sends SMS to the gateway's short codes
// and sees the replies arrive, with no operator behind the gateway.
//
// It has two parts. Simulator attaches to an smpptest.Server: it injects
// MOs as deliver_sm (Send) and keeps, in memory, the recent MOs and the MTs
// the gateway submits, concatenated parts joined (Thread). Handler serves
// the page and its small API over any Backend; *Simulator is the one the
// daemon uses. The package knows nothing of the gateway's domain: the
// short codes, the demo customers and the masking of PINs in MO texts
// (SimulatorOptions.Redact) come from its options.
//
// # HTTP
//
// Under the prefix (default /phone):
//
//	GET  /phone                      the page; ?msisdn= renders that number's thread, ?to= preselects a short code
//	GET  /phone/static/...           phone.js and phone.css (embedded; no CDN, no build step)
//	POST /phone/send                 {"msisdn","to","text"} as JSON (or an HTML form, answered with 303 to the page)
//	GET  /phone/events?msisdn=&after= Server-Sent Events: "message" events (id: revision, data: Message JSON), then "ready"
//	GET  /phone/messages?msisdn=&after=&wait= the polling fallback: {"messages":[...],"cursor":N}, waiting up to 25s
//
// Bad input is answered 400 with {"error": "..."} naming the field; a body
// over 16 KiB 413; an MO the gateway did not take 503 with the message and
// the error. Cross-origin POSTs are refused (http.CrossOriginProtection).
// The page sets a Content-Security-Policy without inline scripts, and all
// text is escaped: by html/template on the server, through textContent in
// the script.
//
// # Page elements
//
// The page keeps these for scripted browser tests:
//
//	input#msisdn            the phone's number (demo numbers offered in datalist#demo-numbers)
//	select#to               the short code to send to
//	textarea#text           the message
//	button#send             sends it (form#compose)
//	ol#thread               the thread; data-msisdn and data-cursor
//	  li.msg.mo / li.msg.mt one message, sent (mo) or received (mt); data-code is its short code,
//	                        data-id its order; p.text its text, span.status the delivery state of an MO;
//	                        a refused MO also has class "failed"
//	p#error                 the last error (hidden when none)
//	span#live               "live" (SSE), "polling", "reconnecting" or "offline"
//	button.use-number       a demo number (data-msisdn); button.example a message to try (data-to, data-text)
//
// A reply arriving live selects its short code in select#to, so a PIN
// prompt is answered where it came from.
//
// The demo customers' PINs are shown on the page on purpose: they are
// public demo data of the simulator. MO texts that carry a PIN are masked
// before they are kept or shown.
//
// Simulator and Handler are safe for concurrent use.
package webphone
