// Package smsgwtest provides utilities for testing code built on package
// smsgw, in the manner of net/http/httptest. It is meant for tests only.
//
// It offers a settable Clock, a recording Sender with an injectable
// failure, a LogBuffer for log output, and Open, which opens an SQLite store
// in the test's temporary directory and returns it with an initialised
// smsgw.Gateway on it (New builds a further gateway over a given store).
// Options choose the clock, the sender, the loggers, the PIN key, the short
// codes, the keyword table and PIN length, and any other smsgw.Options
// field. Without options a gateway runs on the real time, sends into a
// recording Sender nobody reads, logs nowhere and uses the short codes
// RequestCode and PINCode with the default keyword table.
//
// The package imports smsgw and store/sqlite, so tests inside package smsgw
// or package sqlite cannot use it (that would be an import cycle); their
// external test packages (smsgw_test, sqlite_test) can.
//
// Clock, Sender and LogBuffer are safe for concurrent use.
package smsgwtest
