package pdu

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// seedFrames returns every vector and every round-trip fixture.
func seedFrames(tb testing.TB) [][]byte {
	_, frames := stream(tb)
	for _, p := range fullPDUs() {
		b, err := Marshal(p)
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, b)
	}
	return frames
}

// decodeResult makes Decode's outcome comparable.
type decodeResult struct {
	p   PDU
	err error
}

func decodeOf(b []byte) decodeResult {
	p, err := Decode(b)
	return decodeResult{p, err}
}

func FuzzDecode(f *testing.F) {
	for _, fr := range seedFrames(f) {
		f.Add(fr)
		for n := 0; n < len(fr); n += 3 {
			f.Add(fr[:n])
			f.Add(patchLen(fr, n))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := decodeOf(in)
		if want.err != nil {
			var de *DecodeError
			if !errors.As(want.err, &de) || de.Status == StatusOK {
				t.Fatalf("Decode(%X) error %v, want a *DecodeError with a status", in, want.err)
			}
		} else {
			enc, err := Marshal(want.p)
			if err != nil {
				t.Fatalf("Marshal(Decode(%X)) error %v", in, err)
			}
			again, err := Decode(enc)
			if err != nil {
				t.Fatalf("Decode(Marshal(Decode(%X))) = %X error %v", in, enc, err)
			}
			want.p.Hdr().Length = uint32(len(enc)) // only Length may differ
			if !reflect.DeepEqual(again, want.p) {
				t.Fatalf("Decode(Marshal(Decode(%X))) =\n%#v\nwant\n%#v", in, again, want.p)
			}
			want.p.Hdr().Length = uint32(len(in))
		}

		// The same octets arriving in two reads frame and decode the same.
		mid := len(in) / 2
		r := io.MultiReader(bytes.NewReader(in[:mid]), bytes.NewReader(in[mid:]))
		fr, err := ReadFrame(r, DefaultMaxLength)
		if err != nil {
			if want.err == nil {
				t.Fatalf("ReadFrame(%X) error %v but Decode succeeded", in, err)
			}
			return
		}
		if !bytes.Equal(fr, in[:len(fr)]) {
			t.Fatalf("ReadFrame(%X) = %X, not a prefix", in, fr)
		}
		if len(fr) != len(in) {
			return // the input was more than one frame
		}
		if got := decodeOf(fr); !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(ReadFrame(%X)) = %#v, want %#v", in, got, want)
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	all, _ := stream(f)
	f.Add(all, uint16(7), uint32(0))
	f.Add(all, uint16(100), uint32(64))
	for _, fr := range seedFrames(f) {
		f.Add(fr, uint16(len(fr)/2), uint32(len(fr)))
		f.Add(fr[:len(fr)-1], uint16(3), uint32(0))
	}
	f.Add([]byte{0, 0, 0, 15, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(2), uint32(0))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF}, uint16(1), uint32(0))
	f.Fuzz(func(t *testing.T, in []byte, split uint16, max uint32) {
		maxLen := int(max % (1 << 17))
		cut := int(split) % (len(in) + 1)
		whole := bytes.NewReader(in)
		parts := io.MultiReader(bytes.NewReader(in[:cut]), bytes.NewReader(in[cut:]))
		off := 0
		for {
			a, errA := ReadFrame(whole, maxLen)
			b, errB := ReadFrame(parts, maxLen)
			if !bytes.Equal(a, b) || !reflect.DeepEqual(errA, errB) {
				t.Fatalf("ReadFrame whole = %X, %v; split at %d = %X, %v", a, errA, cut, b, errB)
			}
			if errA != nil {
				var de *DecodeError
				switch {
				case errA == io.EOF:
					if off != len(in) {
						t.Fatalf("io.EOF at offset %d of %d", off, len(in))
					}
				case errA == io.ErrUnexpectedEOF:
				case errors.As(errA, &de) && de.Status == StatusInvCmdLen:
				default:
					t.Fatalf("ReadFrame error %v", errA)
				}
				return
			}
			limit := maxLen
			if limit <= 0 {
				limit = DefaultMaxLength
			}
			if len(a) < HeaderLen || len(a) > limit || !bytes.Equal(a, in[off:off+len(a)]) {
				t.Fatalf("ReadFrame at %d = %X (max %d)", off, a, limit)
			}
			off += len(a)
		}
	})
}
