// Package partner is the host-to-host partner domain of the gateway: bank
// partners and resellers top up i-Pay wallets from a deposit, pay
// inquiries, confirm bank payments to virtual accounts, and learn final
// states by signed callbacks. h2h is its HTTP adapter; the console and the
// `smsgw partner` command administer it.
//
// # What it owns
//
// Service validates partner requests, makes each credit at most once (a
// partner's refid is its idempotency key, stored with a hash of the
// request: a resend returns the first result, another request with the same
// refid is a conflict), funds it from the partner's deposit or, in confirm
// mode, opens a PIN session for the customer; a new refid refused for the
// state of the destination, the customer, the deposit or the clock is
// recorded as a failed request with its callback (Refused), so every request
// with a trxid ends with exactly one final report; it counts failures per
// destination and blocks after BlockAfter, applies the daily cutoff and the
// duplicate window, and runs the callback outbox (retries with backoff for
// CallbackTTL, then dead letters). Money follows the rules of smsgw: int64
// rupiah, a ledger transfer with its two entries in the transaction that
// records the request, one idempotency key per credit.
//
// # How it joins the SMS core
//
// Service runs on a *smsgw.Gateway: it uses the Gateway's store, clock,
// rules and outbox, and every operation is one store transaction. A
// confirm-mode request waits on a PIN session owned by the core. The core
// knows nothing of partners: Register (called by the daemon's wiring for
// every Gateway, and by New) makes SessionResolved the Gateway's
// smsgw.SessionHook, which the core calls inside the transaction that
// resolves a session (confirmed, failed, cancelled or locked).
// SessionResolved finalises the request waiting on it and queues its
// callback there, so a session and its partner request never disagree,
// whatever crashes. A session the expiry job expires is the exception: the
// hook's SessionsExpired (smsgw.ExpiryHook) fails the requests waiting on
// the sessions just expired, in a transaction of its own right after the
// expiry, and the core calls SessionResolved again when it queues each
// customer's notice, later; a crash in between leaves the request pending
// for the next try of either (a stop is never undone: the session stays
// expired).
//
// # Store
//
// The partner store methods are Records, a small interface of their own;
// Tx is a store transaction with both, smsgw.Tx and Records. The core's
// Store hands out smsgw.Tx only, so a store that serves the partner API
// implements Records on the same transaction type (store/sqlite does, and
// asserts it at compile time), and this package converts with TxOf, a
// type assertion that fails with an error naming the missing interface.
// Service.Init does it once before serving, so a store without partner
// records is refused at start-up rather than on the first request. The
// contract tests of Records are in store/storetest (partner.go).
//
// Service is safe for concurrent use. It starts no goroutine that outlives
// a call; the daemon runs SendCallbacks, Recheck and PurgeNonces on its
// schedule.
package partner
