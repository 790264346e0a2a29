package domain

import (
	"strconv"
	"strings"
)

// Amount is a sum of money in whole rupiah. It is an integer on purpose: an
// amount is never a float. The zero value is zero rupiah.
type Amount int64

// MaxAmount is the largest amount the gateway accepts: 10^15 rupiah (one
// quadrillion). It is far above any top-up and far below the int64 limit,
// so sums of many amounts cannot overflow.
const MaxAmount Amount = 1_000_000_000_000_000

// String formats a in the Indonesian style with the currency symbol and a
// dot as thousands separator: "Rp50.000", "Rp1.500.000", "-Rp5.000".
func (a Amount) String() string {
	var buf [32]byte
	b := buf[:0]
	if a < 0 {
		b = append(b, '-')
	}
	b = append(b, "Rp"...)
	return string(appendGrouped(b, a))
}

// Grouped formats a without the currency symbol, with a dot as thousands
// separator: "50.000", "1.500.000". It is meant for reply templates such as
// "Rp {{.Amount.Grouped}},-".
func (a Amount) Grouped() string {
	var buf [32]byte
	b := buf[:0]
	if a < 0 {
		b = append(b, '-')
	}
	return string(appendGrouped(b, a))
}

// appendGrouped appends the absolute value of a in groups of three digits
// separated by dots.
func appendGrouped(b []byte, a Amount) []byte {
	u := uint64(a)
	if a < 0 {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], u, 10)
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b = append(b, '.')
		}
		b = append(b, c)
	}
	return b
}

// FormatAmounts lists amounts for an Indonesian reply text, in the given
// order: "50.000, 75.000, 100.000, 150.000, 300.000 dan 500.000". It
// returns "" for no amounts and the single amount for one.
func FormatAmounts(amounts []Amount) string {
	var b strings.Builder
	for i, a := range amounts {
		switch {
		case i == 0:
		case i == len(amounts)-1:
			b.WriteString(" dan ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(a.Grouped())
	}
	return b.String()
}
