package pdu

import "testing"

// benchVectors are the PDUs measured by BenchmarkDecode and BenchmarkEncode.
var benchVectors = []struct{ name, vector string }{
	{"submit_sm", "submit_sm_gsm7"},
	{"deliver_sm", "deliver_sm_ussd_pssr"},
	{"deliver_sm_receipt", "deliver_sm_delivery_receipt"},
	{"submit_sm_resp", "submit_sm_resp"},
	{"enquire_link", "enquire_link"},
	{"bind", "bind_transceiver"},
}

func BenchmarkDecode(b *testing.B) {
	for _, bv := range benchVectors {
		wire := vectorByName(b, bv.vector)
		b.Run(bv.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				if _, err := Decode(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, bv := range benchVectors {
		wire := vectorByName(b, bv.vector)
		p, err := Decode(wire)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bv.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			buf := make([]byte, 0, 512)
			for b.Loop() {
				if _, err := Append(buf[:0], p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadFrame(b *testing.B) {
	wire := vectorByName(b, "deliver_sm_delivery_receipt")
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	r := &repeatReader{data: wire}
	for b.Loop() {
		if _, err := ReadFrame(r, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// repeatReader returns data over and over.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// TestDecodeAllocs enforces the allocation budget of decoding a deliver_sm:
// at most 2 (the private copy of the body and the struct with its inline TLVs).
func TestDecodeAllocs(t *testing.T) {
	for _, name := range []string{"deliver_sm_mo_keyword", "deliver_sm_ussd_pssr", "deliver_sm_delivery_receipt", "submit_sm_ussd_ussr", "data_sm"} {
		wire := vectorByName(t, name)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Decode(wire); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 2 {
			t.Errorf("Decode(%s) allocates %v times, want <= 2", name, allocs)
		}
	}
}

// TestEncodeAllocs checks that Append into a buffer with room does not allocate.
func TestEncodeAllocs(t *testing.T) {
	for _, name := range []string{"deliver_sm_delivery_receipt", "submit_sm_ussd_ussr", "bind_transceiver", "enquire_link", "submit_sm_resp"} {
		p, err := Decode(vectorByName(t, name))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 512)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Append(buf[:0], p); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Append(%s) allocates %v times, want 0", name, allocs)
		}
	}
}
