package partner_test

import (
	"testing"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// FuzzParseProduct: never panics; an accepted code is canonical, parses
// again to the same amount, and the amount is whole thousands.
func FuzzParseProduct(f *testing.F) {
	for _, s := range []string{"IP50", "ip100", " IP500 ", "50000", "IP", "IP05", "XL5", "", "IP99999999999", "5e4", "IP-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, amount, err := partner.ParseProduct(s)
		if err != nil {
			if smsgw.ErrorCode(err) != partner.EProduct {
				t.Fatalf("ParseProduct(%q) error code %q", s, smsgw.ErrorCode(err))
			}
			return
		}
		if amount <= 0 || amount%1000 != 0 {
			t.Fatalf("ParseProduct(%q) amount %d", s, amount)
		}
		code2, amount2, err := partner.ParseProduct(code)
		if err != nil || code2 != code || amount2 != amount {
			t.Fatalf("ParseProduct(%q) = %q %d; again: %q %d %v", s, code, amount, code2, amount2, err)
		}
	})
}

// FuzzParseVA: never panics; an accepted virtual account yields a
// canonical MSISDN that the prefix and its national form map back to.
func FuzzParseVA(f *testing.F) {
	for _, s := range []string{"013887708100000002", "0138877 0810-0000-002", "01388776281100000002", "0138877", "0138877abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := partner.ParseVA(partner.DefaultVAPrefix, s)
		if err != nil {
			if smsgw.ErrorCode(err) != partner.EDestination {
				t.Fatalf("ParseVA(%q) error code %q", s, smsgw.ErrorCode(err))
			}
			return
		}
		again, err := partner.ParseVA(partner.DefaultVAPrefix, partner.DefaultVAPrefix+m.Local())
		if err != nil || again != m {
			t.Fatalf("ParseVA(%q) = %s; of its national form: %s %v", s, m, again, err)
		}
	})
}
