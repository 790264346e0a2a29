// Package smpptest is the SMSC of the tests: a thin wrapper over the
// production SMSC in smpp/smsc, in the manner of net/http/httptest.
// NewServer listens on a free loopback port and starts; NewUnstartedServer
// lets fields be set first (or a Listener given) before Start; Close stops
// everything and waits.
//
// Everything else is smsc's: Server, Conn, Submission, Faults and the
// other types, constants and errors are aliases of smsc's, so a test can
// hand a *smpptest.Server to code that takes a *smsc.Server. The server's
// behaviour (binds, records, receipts, MO injection, faults) is documented
// in smpp/smsc and in docs/smpp.md section 7.
//
// The only difference from a zero smsc.Server is the default SMSC name in
// bind_*_resp, DefaultSystemID ("smpptest"). Like httptest, the package
// does not import testing; it imports smsc and nothing else of the module,
// so tests of package smpp can use it without a cycle. Production code
// uses smsc directly.
package smpptest
