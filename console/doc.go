// Package console is the operator console of the gateway: server-rendered
// pages under /console/ for auditing SMS, PIN sessions, customers, the
// ledger and the host-to-host partner requests with their callbacks, the
// admin actions (lock, unlock and reset a customer's PIN, suspend and
// resume a bind, resend a partner callback, unblock a destination, request
// and approve or reject a ledger correction with maker-checker), CSV
// and JSON exports of every filtered view, and the append-only audit
// trail. The listings themselves (filters, columns, records, exports) are
// package report's, which `smsgw audit` uses too: the console turns its
// query strings into report.Values and renders the records as HTML.
//
// Templates (html/template), CSS and a small script are embedded with
// embed.FS: no CDN, no build step. Every page works without the script,
// which only asks for confirmation before admin actions and refreshes the
// dashboard.
//
// # What it must not do
//
// Show or export a secret. PIN replies are stored redacted by the gateway
// and the console redacts them again by keyword; customer records never
// carry PIN hashes; the reset-PIN form is never filled back in. The console
// reads through smsgw.Store and acts only through the Admin interface
// (smsgw.Gateway) and the PartnerAdmin interface (partner.Service), whose
// methods write each change and its audit entry in one transaction.
// Partner pages never show a signature, key or request hash.
//
// # Security
//
// Users and their roles come from the configuration with argon2id or bcrypt
// password hashes (HashPassword makes one). Login creates a server-side
// session (in the store, by a hash of its cookie: any daemon sharing the
// store serves it, a restart ends none) with an absolute
// lifetime and an idle timeout; its cookie is HttpOnly, SameSite=Strict,
// Path=/console and Secure when the request came over TLS or SecureCookies
// is set. Every POST form carries the session's CSRF token (the login form
// a token bound to a short-lived login cookie), and http.CrossOriginProtection
// refuses cross-origin POSTs as well. Logins are rate limited per user name
// and client address, with a wider cap per address, so guesses from one
// address never lock an operator out of another; the attempts are counted
// in the store, so daemons behind one load balancer count them together.
// Viewers read and export (and may post a settlement file to reconcile,
// which only reads); only admins may POST admin actions. Pages are sent with a strict Content-Security-Policy.
//
// # URLs and element ids (stable, for browser tests)
//
//	GET  /console/login                 form#login-form: input#username[name=username],
//	                                    input#password[name=password], button#login-submit[type=submit]
//	POST /console/login                 fields username, password, csrf, next; 303 to next on success
//	POST /console/logout                form#logout, button#logout-submit
//	every page (logged in)              ul#warnings li.warning: Options.Warnings, when there are any
//	GET  /console/                      dashboard: #binds (tr#bind-NAME, data-bound, data-suspended,
//	                                    data-operator, data-throttled; td.window in use/window, td.mo-rate,
//	                                    td.mt-rate per minute; buttons .suspend/.resume), #operators
//	                                    (tr#operator-NAME, data-held, data-backlog: MTs queued for it;
//	                                    td.mo-rate, td.mt-rate), svg#traffic-chart (polyline#chart-mo,
//	                                    #chart-mt, g#chart-legend), table#outcomes (tr[data-state]), #credited-today,
//	                                    #outbox-depth; ?minutes=60|180|720; with the partner API or
//	                                    partner data: section#partners-today (#partner-requests-today,
//	                                    table#partner-states tr[data-state], a#dead-letters,
//	                                    #callbacks-queued), a#corrections-waiting (requests waiting for a
//	                                    decision, not expired)
//	POST /console/binds/NAME/suspend    admin; POST /console/binds/NAME/resume
//	GET  /console/sms                   SMS log: form#filter (msisdn, short_code, keyword, direction,
//	                                    status, since, until, session, transfer), table#sms-table with
//	                                    tr#sms-ID.sms-row, each with a.tx-link to its transaction;
//	                                    a#prev, a#next (offset=N), a#export-csv, a#export-json
//	GET  /console/sms/ID                one message; redirects to its transaction when it has one
//	GET  /console/tx/SESSION            transaction: dl#session (#amount, #state), ol#timeline with
//	                                    li.step[data-step=mo|other_mo|pin_prompt|pin|reply|transfer|
//	                                    resolved|result|receipt|partner_request|partner_result|callback|
//	                                    callback_sent], section#transfer (#transfer-amount,
//	                                    #transfer-reference, table#entries with tr#entry-ID); for a
//	                                    partner request's transaction section#partner[data-state,
//	                                    data-status] (a#partner-link, #partner-refid, #partner-status,
//	                                    #partner-callbacks span[data-callback])
//	                                    section#corrections[data-transfer, data-kind=reversal|refund|""]
//	                                    when it has a transfer (also on /console/partners/TRXID):
//	                                    #correction-done, #correction-open, #correction-remaining,
//	                                    table#transfer-corrections with tr#transfer-correction-ID
//	                                    .correction-row[data-state], p#reverses (a reversal or refund:
//	                                    link to the transfer it undoes), p#not-correctable,
//	                                    p#nothing-remains; admin: form#correction-form[data-kind]
//	                                    (input#correction-amount, input#correction-reason,
//	                                    button#correction-submit)
//	GET  /console/transfers/ID          a transfer's transaction (redirects to /console/tx/SESSION
//	                                    when the transfer has a session)
//	POST /console/transfers/ID/corrections admin; asks for a correction of transfer ID: fields kind
//	                                    (reversal for an SMS top-up, refund for a bank_va or h2h
//	                                    credit), amount (rupiah; empty: all that remains), reason,
//	                                    key (the form's idempotency key), next (page to return to)
//	GET  /console/corrections           form#filter (state: requested|approved|rejected|expired,
//	                                    transfer), a#requested-corrections, table#corrections-table with
//	                                    tr#correction-ID.correction-row[data-state, data-kind, data-maker]
//	                                    (a.transfer-link, a.result-link, span.maker, span.checker,
//	                                    .note); on a requested one: for other admins form.approve-form
//	                                    button.approve and form.reject-form (input.note, button.reject),
//	                                    for its maker span.waiting.mine, for viewers span.waiting;
//	                                    newest first, a#prev, a#next, a#export-csv, a#export-json
//	POST /console/corrections/ID/approve admin other than the maker; field next
//	POST /console/corrections/ID/reject  admin other than the maker; fields note (required), next
//	GET  /console/sessions              form#filter (msisdn, state, since, until), table#sessions-table
//	                                    with tr#session-ID[data-state]; a#open-sessions, a#expired-sessions
//	GET  /console/customers             form#filter (msisdn prefix, locked), table#customers-table
//	                                    with tr#customer-MSISDN[data-locked]
//	GET  /console/customers/MSISDN      dl#customer (#lock-state, #pin-failures, #wallet-balance,
//	                                    a#customer-partners),
//	                                    admin: form#lock-form (duration), form#unlock-form,
//	                                    form#reset-pin-form (new_pin, confirm_pin)
//	POST /console/customers/MSISDN/lock|unlock|reset-pin   admin
//	GET  /console/ledger?account=A      A is an account id (settlement:bank, wallet:628...) or an
//	                                    i-pay account number; dl#account (#account-id, #balance),
//	                                    p#ledger-sound[data-sound], table#ledger-table with
//	                                    tr#entry-ID[data-transfer], td.balance (running balance)
//	GET  /console/audit                 form#filter (actor, action, target, since, until),
//	                                    table#audit-table with tr#audit-ID[data-action]
//	GET  /console/partners              partner requests: form#filter (partner, refid, trxid, msisdn
//	                                    (the destination), status: pending|success|failed|unknown, or
//	                                    20|40|10|open, since, until), table#partners-table with
//	                                    tr#partner-TRXID.partner-row[data-state, data-status=20|40|10]
//	                                    holding a.partner-link, a.transfer-link, a.tx-link (session);
//	                                    a#open-requests, a#callbacks-link, a#dead-letters-link,
//	                                    a#blocked-link
//	GET  /console/partners/TRXID        one request: dl#partner-request[data-state, data-status]
//	                                    (#trxid, #refid, #amount, #status, #reason, #sn, a#transfer-link,
//	                                    a#session-link, a#sms-link), section#transfer (#transfer-amount,
//	                                    table#entries), table#callbacks-table with
//	                                    tr#callback-ID.callback-row[data-status=queued|sent|dead],
//	                                    admin: form.resend-form button.resend; table#callback-audit;
//	                                    a#export-callbacks-csv, a#export-callbacks-json
//	GET  /console/callbacks             callback outbox: form#filter (partner, status:
//	                                    queued|sent|dead, trxid), a#dead-letters, a#queued-callbacks,
//	                                    table#callbacks-table as above with a.partner-link
//	POST /console/callbacks/ID/resend   admin; queues a dead (or sent) callback again; field next
//	                                    (a console page to return to, default the outbox)
//	GET  /console/blocked               blocked destinations: table#blocked-table with
//	                                    tr#blocked-MSISDN[data-failures], admin: form.unblock-form;
//	                                    p#partners-off when the partner API is not enabled
//	POST /console/blocked/MSISDN/unblock admin
//	GET  /console/partners/reconcile    daily reconciliation of a partner (any role; ?partner=P&date=
//	                                    YYYY-MM-DD, default yesterday, in the partner time zone):
//	                                    form#reconcile-form[enctype=multipart/form-data] with
//	                                    input#reconcile-partner[name=partner], input#reconcile-date[name=date],
//	                                    input#reconcile-file[name=settlement][type=file],
//	                                    button#reconcile-submit, button#reconcile-csv and
//	                                    button#reconcile-json (name=format); with a partner
//	                                    section#reconcile-report[data-settled, data-mismatches] holding
//	                                    p#reconcile-result, table#reconcile-totals (with a file;
//	                                    tr[data-match, data-count], .mismatch), table#reconcile-sides
//	                                    (tr[data-side=ours|theirs, data-state]), table#reconcile-items
//	                                    with tr.recon-row[data-match, data-refid] and a.partner-link;
//	                                    our side only: a#export-csv, a#export-json; a#reconcile-link on
//	                                    /console/partners
//	POST /console/partners/reconcile    the same form with the settlement CSV (viewers too: it only
//	                                    reads, stores nothing; CSRF token, at most MaxSettlement bytes,
//	                                    413 beyond); field format=csv|json downloads the reconciliation
//	GET  /console/static/console.css, console.js
//
// Every list page (also /console/blocked) answers ?format=csv and
// ?format=json with all rows of the filtered view (up to ExportRows), and
// /console/tx/SESSION and /console/transfers/ID answer them with the
// timeline (and, for a partner request's transaction, the request and its
// callbacks). Pages show #flash
// after a successful action and #error when something failed. A refused
// correction step shows #error on the page it came from with status 400
// (EInvalid: bad amount or reason, the maker deciding their own request,
// more than what remains), 404 (unknown transfer or correction), 409
// (EConflict: decided already, nothing remains), 410 (EExpired: past its
// expiry, now marked expired) or 422 (EFunds: the account to debit holds
// too little; the request stays open); a request past its expiry that the
// expiry job has not marked yet is shown as expired. Times in
// filters are RFC 3339, a local date and time (2025-03-01T10:00, in the
// console's zone), a date, or a duration meaning "that long ago" (24h).
//
// Console is safe for concurrent use.
package console
