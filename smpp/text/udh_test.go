package text_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

func TestParseUDH(t *testing.T) {
	tests := []struct {
		name      string
		hex       string
		want      text.UDH
		wantRest  string
		wantRef   uint16
		wantTotal uint8
		wantSeq   uint8
		wantOK    bool
	}{
		{
			name: "concat 8-bit", hex: "050003A7020148656C6C6F",
			want:     text.UDH{{ID: 0x00, Data: []byte{0xA7, 0x02, 0x01}}},
			wantRest: "48656C6C6F", wantRef: 0xA7, wantTotal: 2, wantSeq: 1, wantOK: true,
		},
		{
			name: "concat 16-bit", hex: "060804123403024869",
			want:     text.UDH{{ID: 0x08, Data: []byte{0x12, 0x34, 0x03, 0x02}}},
			wantRest: "4869", wantRef: 0x1234, wantTotal: 3, wantSeq: 2, wantOK: true,
		},
		{
			name: "ports and concat", hex: "0B0504158A00000003010201FF",
			want: text.UDH{
				{ID: 0x05, Data: []byte{0x15, 0x8A, 0x00, 0x00}},
				{ID: 0x00, Data: []byte{0x01, 0x02, 0x01}},
			},
			wantRest: "FF", wantRef: 1, wantTotal: 2, wantSeq: 1, wantOK: true,
		},
		{
			name: "empty header", hex: "004869",
			want: text.UDH{}, wantRest: "4869",
		},
		{
			name: "unknown IE and empty IE", hex: "05240100700000",
			want:     text.UDH{{ID: 0x24, Data: []byte{0x00}}, {ID: 0x70, Data: []byte{}}},
			wantRest: "00",
		},
		{
			name: "last concat wins", hex: "0A0003010201000302020200",
			want: text.UDH{
				{ID: 0x00, Data: []byte{0x01, 0x02, 0x01}},
				{ID: 0x00, Data: []byte{0x02, 0x02, 0x02}},
			},
			wantRest: "00", wantRef: 2, wantTotal: 2, wantSeq: 2, wantOK: true,
		},
		{
			name: "concat wrong length ignored", hex: "0400020102",
			want: text.UDH{{ID: 0x00, Data: []byte{0x01, 0x02}}},
		},
		{name: "concat total 0", hex: "050003010001", want: text.UDH{{ID: 0x00, Data: []byte{0x01, 0x00, 0x01}}}},
		{name: "concat seq 0", hex: "050003010200", want: text.UDH{{ID: 0x00, Data: []byte{0x01, 0x02, 0x00}}}},
		{name: "concat seq above total", hex: "050003010203", want: text.UDH{{ID: 0x00, Data: []byte{0x01, 0x02, 0x03}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ud := mustHex(t, tt.hex)
			h, rest, err := text.ParseUDH(ud)
			if err != nil {
				t.Fatalf("ParseUDH(%X) error %v", ud, err)
			}
			if !reflect.DeepEqual(h, tt.want) {
				t.Errorf("ParseUDH(%X) = %+v, want %+v", ud, h, tt.want)
			}
			if want := mustHex(t, tt.wantRest); !bytes.Equal(rest, want) {
				t.Errorf("ParseUDH(%X) rest = %X, want %X", ud, rest, want)
			}
			ref, total, seq, ok := h.Concat()
			if ref != tt.wantRef || total != tt.wantTotal || seq != tt.wantSeq || ok != tt.wantOK {
				t.Errorf("Concat() = %d, %d, %d, %v, want %d, %d, %d, %v", ref, total, seq, ok, tt.wantRef, tt.wantTotal, tt.wantSeq, tt.wantOK)
			}
			if got := h.Len(); got != len(ud)-len(rest) {
				t.Errorf("Len() = %d, want %d", got, len(ud)-len(rest))
			}
			b, err := h.Bytes()
			if want := ud[:len(ud)-len(rest)]; err != nil || !bytes.Equal(b, want) {
				t.Errorf("Bytes() = %X, %v, want %X", b, err, want)
			}
		})
	}
}

func TestParseUDHErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
	}{
		{"empty", ""},
		{"UDHL beyond data", "05000301"},
		{"UDHL beyond data by one", "0500030102"},
		{"IE length beyond UDHL", "03000301020101"},
		{"IE header cut", "0300000541"},
		{"lone IEI", "0100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ud := mustHex(t, tt.hex)
			h, rest, err := text.ParseUDH(ud)
			if !errors.Is(err, text.ErrBadUDH) {
				t.Errorf("ParseUDH(%X) = %v, %X, %v, want ErrBadUDH", ud, h, rest, err)
			}
		})
	}
}

func TestUDHPorts(t *testing.T) {
	tests := []struct {
		name     string
		hex      string
		dst, src uint16
		ok       bool
	}{
		{"16-bit", "0605040B8423F0", 0x0B84, 0x23F0, true},
		{"8-bit", "0404020A0B", 0x0A, 0x0B, true},
		{"none", "050003010201", 0, 0, false},
		{"wrong length", "050503010203", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ud := mustHex(t, tt.hex)
			h, _, err := text.ParseUDH(ud)
			if err != nil {
				t.Fatalf("ParseUDH(%X) error %v", ud, err)
			}
			dst, src, ok := h.Ports()
			if dst != tt.dst || src != tt.src || ok != tt.ok {
				t.Errorf("Ports() = %#x, %#x, %v, want %#x, %#x, %v", dst, src, ok, tt.dst, tt.src, tt.ok)
			}
		})
	}
}

func TestUDHBytesTooLong(t *testing.T) {
	big := text.UDH{{ID: 0x20, Data: make([]byte, 256)}}
	if b, err := big.Bytes(); err == nil {
		t.Errorf("Bytes() of a 256-octet IE = %X, nil, want error", b)
	}
	many := make(text.UDH, 100)
	for i := range many {
		many[i] = text.IE{ID: 0x20, Data: []byte{1}}
	}
	if b, err := many.Bytes(); err == nil {
		t.Errorf("Bytes() of a 300-octet UDH = %X, nil, want error", b)
	}
}
