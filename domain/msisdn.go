package domain

import (
	"log/slog"
	"strings"
)

// MSISDN is a subscriber number. Numbers the gateway has checked are in
// canonical international form without plus, e.g. "628110000002"
// (keywords.NormalizeMSISDN makes them); a sender address the SMSC gives
// that is no mobile number is kept as given.
type MSISDN string

// LogValue masks the middle digits so logs can correlate without exposing
// the full number.
func (m MSISDN) LogValue() slog.Value {
	s := string(m)
	if len(s) <= 6 {
		return slog.StringValue("***")
	}
	return slog.StringValue(s[:5] + "****" + s[len(s)-3:])
}

// Local formats a canonical number ("628110000002") in the national form
// Indonesian users read and type: "08110000002". A number that does not
// start with 62 is returned unchanged.
func (m MSISDN) Local() string {
	s := string(m)
	if len(s) > 2 && strings.HasPrefix(s, "62") {
		return "0" + s[2:]
	}
	return s
}
