// Package domain is the vocabulary every part of the gateway speaks: a
// subscriber number (MSISDN), a sum of money (Amount), a customer's secret
// (PIN) and a ledger account (AccountID), with the rules that belong to the
// values themselves: the canonical form of a number, rupiah formatting,
// PIN redaction in every textual form.
//
// It owns no behaviour beyond that: the keyword parser (package keywords)
// turns customer text into these values, the SMS engine (package smsgw)
// builds its rules on them, and every adapter passes them along. It imports
// only the standard library and does no I/O; its values are safe for
// concurrent use.
package domain
