package dlr_test

import (
	"testing"

	"github.com/smsgw/smsgw/smpp/dlr"
)

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		id          string
		mode        dlr.IDMode
		wantSubmit  string
		wantReceipt string
	}{
		{"5F3A9C01", dlr.IDExact, "5F3A9C01", "5F3A9C01"},
		{" 0042 ", dlr.IDExact, " 0042 ", " 0042 "},
		{"5F3A9C01", dlr.IDAuto, "5f3a9c01", "5f3a9c01"},
		{"005F3A9C01", dlr.IDAuto, "5f3a9c01", "5f3a9c01"},
		{"0000", dlr.IDAuto, "0", "0"},
		{" 00123 ", dlr.IDAuto, "123", "123"},
		{"3F2C9A1E-7B4D-4E8A-9C01-5F3A9C01B2D4", dlr.IDAuto, "3f2c9a1e-7b4d-4e8a-9c01-5f3a9c01b2d4", "3f2c9a1e-7b4d-4e8a-9c01-5f3a9c01b2d4"},
		{"5F3A9C01", dlr.IDHexToDec, "1597676545", "5f3a9c01"},
		{"1597676545", dlr.IDHexToDec, "92734448965", "1597676545"},
		{"01597676545", dlr.IDHexToDec, "92734448965", "1597676545"},
		{"1597676545", dlr.IDDecToHex, "1597676545", "92734448965"},
		{"5f3a9c01", dlr.IDDecToHex, "5f3a9c01", "1597676545"},
		{"FFFFFFFFFFFFFFFFFFFF", dlr.IDHexToDec, "1208925819614629174706175", "ffffffffffffffffffff"},
		{"msg-1", dlr.IDHexToDec, "msg-1", "msg-1"},
	}
	for _, tt := range tests {
		if got := dlr.NormalizeID(tt.id, tt.mode); got != tt.wantSubmit {
			t.Errorf("NormalizeID(%q, %v) = %q, want %q", tt.id, tt.mode, got, tt.wantSubmit)
		}
		if got := dlr.NormalizeReceiptID(tt.id, tt.mode); got != tt.wantReceipt {
			t.Errorf("NormalizeReceiptID(%q, %v) = %q, want %q", tt.id, tt.mode, got, tt.wantReceipt)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		submit, receipt string
		mode            dlr.IDMode
		want            bool
	}{
		{"5F3A9C01", "5F3A9C01", dlr.IDExact, true},
		{"5F3A9C01", "5f3a9c01", dlr.IDExact, false},
		{"42", "042", dlr.IDExact, false},
		{"", "", dlr.IDExact, false},
		{"5F3A9C01", "5F3A9C01", dlr.IDAuto, true},
		{"5F3A9C01", "5f3a9c01", dlr.IDAuto, true},
		{"5F3A9C01", "005F3A9C01", dlr.IDAuto, true},
		{"5F3A9C01", "1597676545", dlr.IDAuto, true},
		{"1597676545", "5F3A9C01", dlr.IDAuto, true},
		{"1597676545", "0001597676545", dlr.IDAuto, true},
		{"3f2c9a1e-7b4d-4e8a-9c01-5f3a9c01b2d4", "3F2C9A1E-7B4D-4E8A-9C01-5F3A9C01B2D4", dlr.IDAuto, true},
		{"3f2c9a1e-7b4d", "3f2c9a1e-7b4e", dlr.IDAuto, false},
		{"5F3A9C01", "5F3A9C02", dlr.IDAuto, false},
		{"5F3A9C01", "", dlr.IDAuto, false},
		{" ", " ", dlr.IDAuto, false},
		{"5F3A9C01", "1597676545", dlr.IDHexToDec, true},
		{"5f3a9c01", "01597676545", dlr.IDHexToDec, true},
		{"5F3A9C01", "5F3A9C01", dlr.IDHexToDec, false},
		{"1597676545", "5F3A9C01", dlr.IDDecToHex, true},
		{"1597676545", "5f3a9c01", dlr.IDDecToHex, true},
		{"1597676545", "1597676545", dlr.IDDecToHex, false},
		{"msg-1", "MSG-1", dlr.IDHexToDec, true},
		{"FFFFFFFFFFFFFFFFFFFF", "1208925819614629174706175", dlr.IDAuto, true},
	}
	for _, tt := range tests {
		if got := dlr.Match(tt.submit, tt.receipt, tt.mode); got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", tt.submit, tt.receipt, tt.mode, got, tt.want)
		}
	}
}

// TestNormalizeAgreesWithMatch checks that for every mode the keys are
// equal whenever Match says so (for IDAuto only the same-base cases, which
// the keys cover).
func TestNormalizeAgreesWithMatch(t *testing.T) {
	ids := []string{"5F3A9C01", "5f3a9c01", "005F3A9C01", "1597676545", "01597676545", "42", "042", "2A", "uuid-AB", "UUID-ab", "0"}
	for _, mode := range []dlr.IDMode{dlr.IDExact, dlr.IDHexToDec, dlr.IDDecToHex} {
		for _, s := range ids {
			for _, r := range ids {
				keys := dlr.NormalizeID(s, mode) == dlr.NormalizeReceiptID(r, mode)
				if m := dlr.Match(s, r, mode); m != keys {
					t.Errorf("Match(%q, %q, %v) = %v but keys equal = %v", s, r, mode, m, keys)
				}
			}
		}
	}
	for _, s := range ids {
		for _, r := range ids {
			if dlr.NormalizeID(s, dlr.IDAuto) == dlr.NormalizeReceiptID(r, dlr.IDAuto) && !dlr.Match(s, r, dlr.IDAuto) {
				t.Errorf("IDAuto keys of %q and %q are equal but Match is false", s, r)
			}
		}
	}
}

func TestIDModeString(t *testing.T) {
	for m, want := range map[dlr.IDMode]string{
		dlr.IDAuto: "auto", dlr.IDExact: "exact", dlr.IDHexToDec: "hex_to_dec", dlr.IDDecToHex: "dec_to_hex", 9: "IDMode(9)",
	} {
		if got := m.String(); got != want {
			t.Errorf("IDMode(%d).String() = %q, want %q", uint8(m), got, want)
		}
	}
}

func TestReceiptKeysAgreeWithMatch(t *testing.T) {
	ids := []string{"5F3A9C01", "5f3a9c01", "005F3A9C01", "1597676545", "01597676545", "42", "042", "2A", "66", "uuid-AB", "UUID-ab", "0", "00"}
	for _, mode := range []dlr.IDMode{dlr.IDAuto, dlr.IDExact, dlr.IDHexToDec, dlr.IDDecToHex} {
		for _, s := range ids {
			for _, r := range ids {
				stored := dlr.NormalizeID(s, mode)
				found := false
				for _, k := range dlr.ReceiptKeys(r, mode) {
					found = found || k == stored
				}
				if m := dlr.Match(s, r, mode); m != found {
					t.Errorf("%v: Match(%q, %q) = %v but lookup by ReceiptKeys(%q) = %q finds %q: %v",
						mode, s, r, m, r, dlr.ReceiptKeys(r, mode), stored, found)
				}
			}
		}
	}
	if got := dlr.ReceiptKeys("1597676545", dlr.IDAuto); len(got) != 3 || got[0] != "1597676545" || got[1] != "5f3a9c01" {
		t.Errorf("ReceiptKeys(decimal) = %q", got)
	}
}
