// Package webphone is the web phone of the embedded SMSC simulator: a page
// where a person plays a subscriber, sends SMS to the gateway's short codes
// and sees the replies arrive, with no operator behind the gateway.
//
// It is the user interface only. The simulator, and the one HTTP API
// that injects MOs and reads threads, are package sim's: Handler serves
// the page, rendered with the number's thread from the sim.Handler it is
// given, and its assets; the page's script calls that API (its prefix is
// the page's data-api, /sim in the daemon). The package knows nothing of
// the gateway's domain: the short codes with their labels, the demo
// customers and the examples come from its options.
//
// # HTTP
//
// Under the prefix (default /phone):
//
//	GET  /phone                 the page; ?msisdn= renders that number's thread, ?to= preselects a short code
//	POST /phone                 the page's HTML form when the script does not run (msisdn, to, text): sent
//	                            through sim.Handler.Send, answered 303 to the page, or 400 naming the field
//	GET  /phone/static/...      phone.js and phone.css (embedded; no CDN, no build step)
//
// The script uses the simulator API (see package sim):
//
//	POST /sim/send              sends the message
//	GET  /sim/events            the live thread (Server-Sent Events)
//	GET  /sim/messages          the polling fallback, when the stream does not come up
//	POST /sim/ussd/dial         the dial pad's call: opens a USSD session, answers the first screen
//	POST /sim/ussd/answer       the reply typed on a USSD screen
//	POST /sim/ussd/cancel       the dialog's Cancel (or Escape): hangs up
//
// Cross-origin form POSTs are refused (http.CrossOriginProtection). The
// page sets a Content-Security-Policy without inline scripts, and all
// text is escaped: by html/template on the server, through textContent in
// the script.
//
// # Page elements
//
// The page keeps these for scripted browser tests:
//
//	main#phone              data-base: the page's path; data-api: the simulator API's prefix
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
//	button.use-number       a demo number (data-msisdn; data-operator: its simulated operator, when the
//	                        simulator plays several, also shown in td.operator); button.example a
//	                        message to try (data-to, data-text)
//
// When the simulator serves USSD (sim.Handler.USSDCodes), the page also
// has a dial pad; the script shows it (it is hidden without the script):
//
//	section#dialer          the dial pad
//	input#dial              the code to dial; empty dials its placeholder, *<first USSD code>#
//	button.key              a key (data-key: 0-9, * or #), appended to input#dial
//	button#call             dials for the number in input#msisdn
//	button#hangup           Cancel: clears input#dial
//	dialog#ussd             the USSD screens, modal; data-state: "waiting" (a screen is on its
//	                        way), "open" (waiting for the reply), "end" (the session is over),
//	                        "closed"
//	  p#ussd-text           the screen, as the gateway wrote it (data-session: its session number),
//	                        or why the network ended the session
//	  p#ussd-error          what went wrong (hidden when nothing did)
//	  input#ussd-input      the reply; button#ussd-send sends it (form#ussd-form)
//	  button#ussd-cancel    hangs up: the simulator sends the gateway a release
//	  button#ussd-close     OK: shown instead of the reply on the last screen, closes the dialog
//
// USSD screens never enter the thread; an SMS the gateway sends after a
// USSD top-up (the result) does.
//
// A reply arriving live selects its short code in select#to, so a PIN
// prompt is answered where it came from. The thread opens scrolled to its
// newest message and follows new ones; select#to is wide enough to show
// its longest label whole.
//
// The demo customers' PINs are shown on the page on purpose: they are
// public demo data of the simulator. MO texts that carry a PIN are masked
// before they are kept or shown.
//
// Handler is safe for concurrent use.
package webphone
