package text_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

// The vectors below are copied from the shared SMPP test vectors
// (smpp-vectors.json): gsm7_packing_vectors and the text of the PDUs named.

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex.DecodeString(%q): %v", s, err)
	}
	return b
}

// textVectors are short_message (or message_payload) octets and their text.
var textVectors = []struct {
	name string
	dcs  uint8
	hex  string
	text string
}{
	{"submit_sm_gsm7", 0x00, "50726963653a201b6535201b2870726f6d6f1b29200073686f70", "Price: €5 {promo} @shop"},
	{"submit_sm_ucs2", 0x08, "041f044004380432043504420020d83ddc4b", "Привет 👋"},
	{"submit_sm_message_payload", 0x00, "5468697320746578742074726176656c7320696e206d657373616765117061796c6f61643b20736d116c656e6774682069732030", "This text travels in message_payload; sm_length is 0"},
	{"deliver_sm_mo_keyword", 0x00, "4a4f494e206e657773", "JOIN news"},
	{"deliver_sm_ussd_pssr", 0x00, "2a31323323", "*123#"},
	{"submit_sm_ussd_ussr", 0x00, "312e2042616c616e63650a322e20546f702d7570", "1. Balance\n2. Top-up"},
	{"submit_sm_ussd_pssr_response_end", 0x00, "42616c616e63653a2031302e3030", "Balance: 10.00"},
	{"data_sm", 0x00, "4869", "Hi"},
}

func TestTextVectors(t *testing.T) {
	for _, v := range textVectors {
		t.Run(v.name, func(t *testing.T) {
			want := mustHex(t, v.hex)
			dcs, data, err := text.Encode(v.text, text.Options{})
			if err != nil || dcs != v.dcs || !bytes.Equal(data, want) {
				t.Errorf("Encode(%q) = %#x, %X, %v, want %#x, %X", v.text, dcs, data, err, v.dcs, want)
			}
			got, err := text.Decode(v.dcs, want, text.Options{})
			if err != nil || got != v.text {
				t.Errorf("Decode(%#x, %X) = %q, %v, want %q", v.dcs, want, got, err, v.text)
			}
		})
	}
}

// TestConcatVector checks the user data of submit_sm_concat_udh_part1.
func TestConcatVector(t *testing.T) {
	sm := mustHex(t, "050003a7020148656c6c6f2066726f6d2070617274206f6e6520")
	h, rest, err := text.ParseUDH(sm)
	if err != nil {
		t.Fatalf("ParseUDH(%X) error %v", sm, err)
	}
	ref, total, seq, ok := h.Concat()
	if ref != 0xA7 || total != 2 || seq != 1 || !ok {
		t.Errorf("Concat() = %d, %d, %d, %v, want 167, 2, 1, true", ref, total, seq, ok)
	}
	if got := text.DecodeGSM7(rest); got != "Hello from part one " {
		t.Errorf("DecodeGSM7(%X) = %q, want %q", rest, got, "Hello from part one ")
	}
	b, err := h.Bytes()
	if want := sm[:6]; err != nil || !bytes.Equal(b, want) {
		t.Errorf("UDH.Bytes() = %X, %v, want %X", b, err, want)
	}
}

var packVectors = []struct {
	name    string
	septets string
	packed  string
}{
	{"hellohello", "68656C6C6F68656C6C6F", "E8329BFD4697D9EC37"},
	{"escapes", "48656C6C6F201B28776F726C641B29201B6535", "C8329BFD066D50F7B79C4DDEA4409B720D"},
	{"7 septets CR pad", "31323334353637", "31D98C56B3DD1A"},
	{"8 septets with CR", "313233343536370D", "31D98C56B3DD1A"},
}

func TestPack7Vectors(t *testing.T) {
	for _, v := range packVectors {
		t.Run(v.name, func(t *testing.T) {
			septets, want := mustHex(t, v.septets), mustHex(t, v.packed)
			if got := text.Pack7(septets, 0); !bytes.Equal(got, want) {
				t.Errorf("Pack7(%X, 0) = %X, want %X", septets, got, want)
			}
		})
	}
}

func TestUnpack7Vectors(t *testing.T) {
	tests := []struct {
		name   string
		packed string
		want   string
	}{
		{"hellohello", "E8329BFD4697D9EC37", "68656C6C6F68656C6C6F"},
		{"escapes", "C8329BFD066D50F7B79C4DDEA4409B720D", "48656C6C6F201B28776F726C641B29201B6535"},
		{"CR pad dropped", "31D98C56B3DD1A", "31323334353637"},
		// Packed without CR padding (Net::SMPP pack_7bit): the zero
		// septet is kept as '@' by default.
		{"zero pad kept", "31D98C56B3DD00", "3132333435363700"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			packed, want := mustHex(t, tt.packed), mustHex(t, tt.want)
			if got := text.Unpack7(packed, 0); !bytes.Equal(got, want) {
				t.Errorf("Unpack7(%X, 0) = %X, want %X", packed, got, want)
			}
		})
	}
	packed := mustHex(t, "31D98C56B3DD00")
	if got, want := text.Unpack7DropZero(packed, 0), []byte("1234567"); !bytes.Equal(got, want) {
		t.Errorf("Unpack7DropZero(%X, 0) = %X, want %X", packed, got, want)
	}
	got, err := text.Decode(0, packed, text.Options{Packed: true, DropZeroPad: true})
	if err != nil || got != "1234567" {
		t.Errorf("Decode(0, %X, packed, drop zero) = %q, %v, want %q", packed, got, err, "1234567")
	}
	got, err = text.Decode(0, packed, text.Options{Packed: true})
	if err != nil || got != "1234567@" {
		t.Errorf("Decode(0, %X, packed) = %q, %v, want %q", packed, got, err, "1234567@")
	}
}

// TestPackUserDataVector checks packing after the 6-octet UDH 050003A70201
// (one fill bit).
func TestPackUserDataVector(t *testing.T) {
	udh := mustHex(t, "050003A70201")
	septets := mustHex(t, "48656C6C6F")
	want := mustHex(t, "050003A70201906536FB0D")
	got := text.PackUserData(udh, septets)
	if !bytes.Equal(got, want) {
		t.Errorf("PackUserData(%X, %X) = %X, want %X", udh, septets, got, want)
	}
	if got := text.UnpackUserData(want, len(udh)); !bytes.Equal(got, septets) {
		t.Errorf("UnpackUserData(%X, 6) = %X, want %X", want, got, septets)
	}
}
