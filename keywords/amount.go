package keywords

import (
	"strings"

	"github.com/smsgw/smsgw/domain"
)

// ParseAmount parses an amount of rupiah written the way Indonesian users
// write it. Leading and trailing white space is ignored. Accepted forms
// (the grammar is in the package documentation):
//
//	50000  50.000  50,000  50.000,00  50000.00  50.000,-  50000.-
//	Rp50.000  Rp 50.000  Rp. 50.000  IDR50000
//	50rb  50 rb  50ribu  50k  50K  1jt  1 juta  1,5jt  1.5jt  1.25jt
//
// A dot or a comma followed by exactly three digits groups thousands, so
// "50.000" and "50,000" are both fifty thousand; all group separators of one
// number must be the same character. A final dot or comma followed by one
// or two digits starts a fraction, which must be zero ("50.000,00"), since
// an amount is whole rupiah. Before a multiplier suffix (rb, ribu, k = 1000;
// jt, juta = 1000000) the single dot or comma is a decimal point ("1.5jt" is
// 1.500.000) and the result must be whole rupiah; three decimals there
// ("1.500jt") and grouped numbers ("1.000rb") are rejected as ambiguous.
//
// ParseAmount rejects empty text, a minus sign, a leading zero ("050000"),
// fractions of a rupiah, amounts above MaxAmount and anything else. The
// error is an *Error of kind BadAmount whose Err is one of ErrEmptyValue,
// ErrAmountSyntax, ErrAmountNegative, ErrAmountFraction, ErrAmountAmbiguous
// or ErrAmountRange. Zero is accepted; the nominal rules of a Table reject it.
func ParseAmount(s string) (domain.Amount, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, &Error{Kind: BadAmount, Arg: ArgAmount, Err: ErrEmptyValue}
	}
	a, n, err := scanAmount(t)
	if err == nil && n != len(t) {
		err = ErrAmountSyntax
	}
	if err != nil {
		return 0, &Error{Kind: BadAmount, Arg: ArgAmount, Err: err}
	}
	return a, nil
}

// maxRuns bounds the digit runs of one numeral: 1.000.000.000.000.000,00
// (MaxAmount with a fraction) has seven.
const maxRuns = 8

// numeral is a run of digits split by single dots or commas, as written.
type numeral struct {
	runs [maxRuns]string
	seps [maxRuns]byte // seps[i] precedes runs[i], for i >= 1
	n    int
}

// suffixes are the multiplier suffixes, matched case-insensitively and only
// when not followed by a letter or digit.
var suffixes = [...]struct {
	word string
	mult domain.Amount
}{
	{"ribu", 1_000},
	{"rb", 1_000},
	{"juta", 1_000_000},
	{"jt", 1_000_000},
	{"k", 1_000},
}

// suffixAt returns the multiplier and width of the suffix at s[i:], or 0, 0.
func suffixAt(s string, i int) (domain.Amount, int) {
	for _, sf := range suffixes {
		if !hasPrefixFold(s[i:], sf.word) {
			continue
		}
		end := i + len(sf.word)
		if end == len(s) || !isAlnum(s[end]) {
			return sf.mult, len(sf.word)
		}
	}
	return 0, 0
}

// scanAmount scans the amount at the start of s and returns it with the
// number of bytes it spans. The amount must end at the end of s or at a
// field separator. On error the returned reason is one of the ErrAmount
// sentinels.
func scanAmount(s string) (domain.Amount, int, error) {
	i := 0
	switch {
	case hasPrefixFold(s, "idr"):
		i = 3
	case hasPrefixFold(s, "rp"):
		i = 2
		if i < len(s) && s[i] == '.' {
			i++
		}
	}
	if i > 0 {
		i = skipSpace(s, i)
	}
	if i < len(s) && s[i] == '-' {
		return 0, 0, ErrAmountNegative
	}

	var num numeral
	j := skipDigits(s, i)
	if j == i {
		return 0, 0, ErrAmountSyntax
	}
	num.runs[0], num.n = s[i:j], 1
	i = j
	for i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDigit(s[i+1]) {
		if num.n == maxRuns {
			return 0, 0, ErrAmountSyntax
		}
		j = skipDigits(s, i+1)
		num.seps[num.n], num.runs[num.n] = s[i], s[i+1:j]
		num.n++
		i = j
	}

	mult := domain.Amount(1)
	if k := skipSpace(s, i); k < len(s) {
		if m, w := suffixAt(s, k); w > 0 {
			mult, i = m, k+w
		}
	}
	if mult == 1 {
		switch {
		case strings.HasPrefix(s[i:], ",-"), strings.HasPrefix(s[i:], ".-"):
			i += 2
		case strings.HasPrefix(s[i:], "-"):
			i++
		}
	}
	if i < len(s) && sepWidth(s, i) == 0 {
		return 0, 0, ErrAmountSyntax
	}

	var (
		a   domain.Amount
		err error
	)
	if mult == 1 {
		a, err = num.plain()
	} else {
		a, err = num.scaled(mult)
	}
	if err != nil {
		return 0, 0, err
	}
	return a, i, nil
}

// plain interprets a numeral without a multiplier: digits, grouped digits,
// each optionally followed by a zero fraction of one or two digits.
func (m *numeral) plain() (domain.Amount, error) {
	n := m.n
	if last := n - 1; last >= 1 {
		l := len(m.runs[last])
		mixed := last >= 2 && m.seps[last] != m.seps[1]
		switch {
		case l <= 2 && (last == 1 || mixed):
			if strings.Trim(m.runs[last], "0") != "" {
				return 0, ErrAmountFraction
			}
			n = last
		case mixed && l == 3:
			// "1.000,000": ambiguous if what precedes is well grouped.
			if _, err := grouped(m.runs[:last], m.seps[:last]); err != nil {
				return 0, err
			}
			return 0, ErrAmountAmbiguous
		}
	}
	return grouped(m.runs[:n], m.seps[:n])
}

// grouped interprets runs as one plain number or as thousands groups.
func grouped(runs []string, seps []byte) (domain.Amount, error) {
	if len(runs) == 1 {
		r := runs[0]
		if len(r) > 1 && r[0] == '0' {
			return 0, ErrAmountSyntax
		}
		return parseDigits(r)
	}
	first := runs[0]
	if len(first) > 3 || first[0] == '0' {
		return 0, ErrAmountSyntax
	}
	v, err := parseDigits(first)
	if err != nil {
		return 0, err
	}
	for k := 1; k < len(runs); k++ {
		if seps[k] != seps[1] || len(runs[k]) != 3 {
			return 0, ErrAmountSyntax
		}
		g, _ := parseDigits(runs[k]) // three digits: cannot fail
		if v > (domain.MaxAmount-g)/1000 {
			return 0, ErrAmountRange
		}
		v = v*1000 + g
	}
	return v, nil
}

// scaled interprets a numeral followed by the multiplier mult (1000 or
// 1000000): digits, optionally with one decimal separator.
func (m *numeral) scaled(mult domain.Amount) (domain.Amount, error) {
	ip := m.runs[0]
	if len(ip) > 1 && ip[0] == '0' {
		return 0, ErrAmountSyntax
	}
	iv, err := parseDigits(ip)
	if err != nil {
		return 0, err
	}
	var fv domain.Amount
	switch m.n {
	case 1:
	case 2:
		frac := m.runs[1]
		if len(frac) == 3 {
			return 0, ErrAmountAmbiguous
		}
		frac = strings.TrimRight(frac, "0")
		scale := 0 // decimal digits of mult
		for p := mult; p > 1; p /= 10 {
			scale++
		}
		if len(frac) > scale {
			return 0, ErrAmountFraction
		}
		fv, _ = parseDigits(frac) // at most six digits: cannot fail
		for k := len(frac); k < scale; k++ {
			fv *= 10
		}
	default:
		return 0, ErrAmountAmbiguous
	}
	if iv > (domain.MaxAmount-fv)/mult {
		return 0, ErrAmountRange
	}
	return iv*mult + fv, nil
}

// parseDigits converts a run of ASCII digits, failing with ErrAmountRange
// above MaxAmount. The empty run is zero.
func parseDigits(r string) (domain.Amount, error) {
	var v domain.Amount
	for i := 0; i < len(r); i++ {
		v = v*10 + domain.Amount(r[i]-'0')
		if v > domain.MaxAmount {
			return 0, ErrAmountRange
		}
	}
	return v, nil
}
