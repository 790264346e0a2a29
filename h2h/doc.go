// Package h2h is the host-to-host partner API of the gateway: HTTP
// handlers under /h2h for banks and resellers, and the sender of signed
// callbacks.
//
// # What it owns
//
// Request parsing (query, form or JSON bodies, with a size limit),
// partner authentication (IP allowlist by CIDR, optional HTTP Basic, an
// HMAC-SHA256 signature over method, request URI, timestamp, nonce and body
// within a time window, the legacy OtomaX sign, or on explicit opt-in the
// kiosAMPM clear-text pin form), the mapping of smsgw error codes to
// response codes and HTTP statuses (per partner: codes, or 200 as the
// kiosAMPM document has it), the JSON and the kiosAMPM text response forms,
// the HTTP side of callbacks (Notifier: the OtomaX report as a GET, a form
// or JSON), the formats of the partner documents (SeedFormats) and the
// partner side of the conformance kit (Simulate). It does not
// decide anything about money: every operation is a call on
// partner.Service, which owns idempotency, funding and the callback outbox.
//
// A request that fails authentication (unknown partner, address outside
// the partner's ranges, bad credentials or signature, stale timestamp) is
// answered with its response code and writes nothing; it is logged
// without secrets, signatures or the request body.
//
// The endpoints, codes and the signature recipe are documented in
// docs/h2h.md. Server and Notifier are safe for concurrent use.
package h2h
