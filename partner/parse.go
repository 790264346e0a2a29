package partner

import (
	"strconv"
	"strings"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

// ParseProduct returns the canonical code and the amount of a product
// code: "IP" followed by the nominal in thousands of rupiah (IP50 is
// Rp50.000), or the nominal in rupiah ("50000"). Errors have code
// EProduct. Whether the amount is on sale is checked separately.
func ParseProduct(code string) (string, domain.Amount, error) {
	s := strings.ToUpper(strings.TrimSpace(code))
	thousands := strings.HasPrefix(s, "IP")
	digits := strings.TrimPrefix(s, "IP")
	if digits == "" || len(digits) > 10 || digits[0] == '0' {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	if thousands {
		return "IP" + digits, domain.Amount(n * 1000), nil
	}
	if n%1000 != 0 {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	return "IP" + strconv.FormatInt(n/1000, 10), domain.Amount(n), nil
}

// clip shortens text quoted in error messages.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// ParseVA returns the i-pay account of a virtual account number: prefix
// followed by the account (e.g. 0138877 08100000002), or the prefix without
// its 3-digit bank code (8877 08100000002), as an ATM that takes the bank
// code separately relays it. Spaces and dashes are ignored. Errors have
// code EDestination.
func ParseVA(prefix, va string) (domain.MSISDN, error) {
	var b strings.Builder
	for i := 0; i < len(va); i++ {
		switch c := va[i]; {
		case c == ' ' || c == '-':
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return "", smsgw.Errorf(EDestination, "virtual account must be digits")
		}
	}
	digits := b.String()
	rest, ok := strings.CutPrefix(digits, prefix)
	if !ok && len(prefix) > 3 {
		// Some ATMs take the 3-digit bank code separately (013, then
		// 8877...), and the bank relays the account without it.
		rest, ok = strings.CutPrefix(digits, prefix[3:])
	}
	if !ok || rest == "" {
		return "", smsgw.Errorf(EDestination, "virtual account must start with %s", prefix)
	}
	acct, err := keywords.NormalizeMSISDN(rest)
	if err != nil {
		return "", smsgw.Errorf(EDestination, "virtual account holds no valid account")
	}
	return domain.MSISDN(acct), nil
}

// parseDest normalises a destination MSISDN.
func parseDest(dest string) (domain.MSISDN, error) {
	d, err := keywords.NormalizeMSISDN(dest)
	if err != nil {
		return "", smsgw.Errorf(EDestination, "destination %q is not a valid number", clip(dest))
	}
	return domain.MSISDN(d), nil
}
