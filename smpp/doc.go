// Package smpp is the ESME side of SMPP 3.4: one session over a connection
// ([Session]) and a client that keeps a bind up ([Client]).
//
// It owns dialling (TCP, optionally TLS), binding (§4.1: transceiver,
// transmitter, receiver, or a transmitter and a receiver pair), the
// per-session sequence numbers (§5.1.4), the window of outstanding
// requests, enquire_link (§4.11), generic_nack (§4.3), unbind (§4.2),
// answering the SMSC's deliver_sm and data_sm (§4.6, §4.7) after a
// [Handler] has dealt with them, reconnection with backoff, throttling and
// rate limiting of submit_sm (§4.4), and splitting long texts
// ([Client.SubmitText]). It knows nothing about keywords, accounts or
// money, and it does not decode message text or delivery receipts for the
// Handler: that is the caller's job, with smpp/text.
//
// It must not log message text (it may hold a PIN) nor the bind password:
// PDUs are logged by command, sequence number and status only.
//
// # Session
//
// [NewSession] wraps a net.Conn (a net.Pipe works for tests) and does no
// I/O; [Session.Bind] starts the goroutines:
//
//   - one reader, with a bufio.Reader, that frames PDUs by command_length,
//     completes pending requests with their responses and answers
//     enquire_link and unbind itself; it never runs application code;
//   - one writer: every PDU is encoded straight into a shared queue buffer
//     and the writer sends everything queued with one Write, each with a
//     write deadline, so that concurrent submits are batched into few
//     system calls;
//   - a keepalive loop, once bound: enquire_link after EnquireLinkInterval
//     without receiving anything, and the session is closed as dead when it
//     is not answered within EnquireLinkTimeout;
//   - a fixed pool of Workers goroutines that run the Handler.
//
// Requests: a request is registered in the pending map (sequence number to
// command id, deadline and a buffered result channel) before it is written,
// so a fast response always finds it. Sequence numbers run from 1 to
// 0x7FFFFFFF and wrap to 1, skipping numbers still pending. The window is a
// semaphore: a full window makes [Session.Send] wait, honouring its ctx.
// A request whose caller gives up keeps its slot until its response or
// timeout, since the SMSC still counts it. Each request has a response
// timeout (default 10s); MaxTimeouts consecutive timeouts close the session
// as dead. A generic_nack completes the request with its sequence number.
// A response with an unknown sequence number, or whose command_id does not
// match the request, is logged and dropped. When the connection is lost,
// every pending request fails at once.
//
// Deliveries: the reader hands deliver_sm and data_sm (and
// alert_notification, when OnAlert is set) to a bounded queue that the
// workers drain; the response is written only after the Handler returns,
// with the status its error maps to (see [Handler]): the SMSC redelivers
// what was not acknowledged. Busy handlers therefore do not stop the
// reader: responses, enquire_link and unbind are still processed while the
// queue has room. Only when QueueSize deliveries are waiting does the
// reader block, which stops reading from the SMSC (backpressure); the
// queue should be at least as large as the SMSC's own window so that a
// well-behaved SMSC never reaches it. Should it happen while handlers wait
// for responses on the same session (e.g. a handler that submits a reply),
// those requests time out after ResponseTimeout and the handlers go on: a
// bounded stall, never a deadlock.
//
// Errors from the SMSC (§2.8, §3.3): an unknown command_id in a request is
// answered with generic_nack ESME_RINVCMDID and the session goes on; an
// invalid command_length with generic_nack ESME_RINVCMDLEN, then the
// connection is closed (framing is lost); a malformed body of a known
// request with that request's response carrying the decoder's status. A
// response or generic_nack is never answered, nor are alert_notification
// and outbind. A delivery receipt or response whose TLV block is broken is
// used with the fields that decoded.
//
// [Session.Unbind] stops new requests, waits for outstanding responses and
// running handlers, sends unbind and waits for unbind_resp, each step
// bounded by UnbindTimeout, then closes. [Session.Close] closes the
// connection first, which unblocks the reader and the writer, then waits
// for every goroutine; no lock is held while blocked on I/O or on a
// response, so Close never deadlocks with a blocked Send. Close and Unbind
// must not be called from a Handler, since they wait for handlers.
//
// # Client
//
// [Client.Run] dials, binds and serves until its ctx ends, then unbinds.
// A lost connection or a failed bind is retried after an exponential
// backoff with full jitter (BackoffBase 1s doubling to BackoffCap 60s,
// reset only after a bind stayed up for StableAfter 30s); a bind refused
// with ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL or ESME_RALYBND waits
// BackoffCap and is logged at error level, since retrying quickly could get
// the address banned. [Client.Submit] waits for a bound transmitter, the
// rate limit and a window slot. ESME_RTHROTTLED and ESME_RMSGQFUL pause all
// submits on that bind (ThrottleBase 1s doubling to ThrottleCap 30s, reset
// by an accepted submit) and the same PDU is sent again, before any new
// submit.
//
// # Errors
//
// [ErrNotBound], and [ErrClosed] alone, mean a request was not sent; it is
// safe to send it again. [ErrUnknownOutcome] means it was sent but not
// answered (connection lost, [ErrTimeout], or the caller's ctx ended): the
// SMSC may have accepted it, so a submit_sm must not be resent blindly. An
// error response returns the response with its pdu.Status as the error.
// [ErrSuspended] means the client was suspended on request
// ([Client.Suspend]); the request was not sent.
// [Session.Err] gives why a session closed: [ErrClosed], [ErrPeerUnbind],
// [ErrLinkDead], [ErrProtocol] or a wrapped read or write error.
//
// # Concurrency
//
// Session and Client methods are safe for concurrent use. A PDU passed to
// Submit or Send has its header fields set and must not be used by another
// goroutine meanwhile. Handler, Metrics and the OnAlert and OnEvent
// callbacks may be called concurrently and must not block for long (the
// Handler may, within reason: it holds a worker).
package smpp
