// Package smsgwtest provides utilities for testing code built on package
// smsgw, in the manner of net/http/httptest. It is meant for tests only.
//
// It offers a settable Clock, a recording Sender with an injectable
// failure, a LogBuffer for log output, JoinText to assemble concatenated
// MOs of plain text, and New, which builds an
// smsgw.Gateway over a given store. It knows no store: a store package's
// own helper opens one and a gateway on it (store/sqlite/sqlitetest.Open),
// reading the store's settings from the same options (Store).
// Options choose the clock, the sender, the loggers, the PIN key, the short
// codes, the keyword table and PIN length, and any other smsgw.Options
// field. Without options a gateway runs on the real time, sends into a
// recording Sender nobody reads, logs nowhere and uses the short codes
// RequestCode and PINCode with the default keyword table.
//
// The package imports smsgw and keywords only, so that its imports point,
// as every other adapter's, towards the engine; tests inside package smsgw
// cannot use it (that would be an import cycle), its external test package
// smsgw_test can.
//
// Clock, Sender and LogBuffer are safe for concurrent use.
package smsgwtest
