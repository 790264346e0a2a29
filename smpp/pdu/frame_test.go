package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// stream concatenates every vector, in order.
func stream(tb testing.TB) (all []byte, frames [][]byte) {
	tb.Helper()
	for _, v := range loadVectors(tb) {
		b := mustHex(tb, v.Hex)
		frames = append(frames, b)
		all = append(all, b...)
	}
	return all, frames
}

func TestReadFrameStream(t *testing.T) {
	all, frames := stream(t)
	readers := map[string]func() io.Reader{
		"one read":    func() io.Reader { return bytes.NewReader(all) },
		"one byte":    func() io.Reader { return iotest.OneByteReader(bytes.NewReader(all)) },
		"half reads":  func() io.Reader { return iotest.HalfReader(bytes.NewReader(all)) },
		"data at EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(all)) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			r := mk()
			var got [][]byte
			for {
				f, err := ReadFrame(r, 0)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("ReadFrame after %d frames: %v", len(got), err)
				}
				got = append(got, f)
			}
			if len(got) != len(frames) {
				t.Fatalf("ReadFrame read %d frames, want %d", len(got), len(frames))
			}
			for i := range frames {
				if !bytes.Equal(got[i], frames[i]) {
					t.Errorf("frame %d = %X, want %X", i, got[i], frames[i])
				}
				if _, err := Decode(got[i]); err != nil {
					t.Errorf("Decode(frame %d) error %v", i, err)
				}
			}
			// Each frame is a fresh buffer: writing one leaves the others alone.
			got[0][len(got[0])-1] ^= 0xFF
			if !bytes.Equal(got[1], frames[1]) {
				t.Errorf("frames share memory")
			}
		})
	}
}

func TestReadFrameErrors(t *testing.T) {
	hdr := func(length, id, seq uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, length)
		b = binary.BigEndian.AppendUint32(b, id)
		b = binary.BigEndian.AppendUint32(b, 0)
		return binary.BigEndian.AppendUint32(b, seq)
	}
	tests := []struct {
		name   string
		in     []byte
		max    int
		err    error
		status Status
		id     CommandID
		seq    uint32
	}{
		{"empty", nil, 0, io.EOF, 0, 0, 0},
		{"partial length", []byte{0, 0}, 0, io.ErrUnexpectedEOF, 0, 0, 0},
		{"partial header", hdr(16, 0x15, 1)[:10], 0, io.ErrUnexpectedEOF, 0, 0, 0},
		{"partial body", append(hdr(20, 0x04, 1), 0, 0), 0, io.ErrUnexpectedEOF, 0, 0, 0},
		{"length 0", hdr(0, 0x15, 1), 0, ErrBadLength, StatusInvCmdLen, 0, 0},
		{"length 15", hdr(15, 0x15, 1), 0, ErrBadLength, StatusInvCmdLen, 0, 0},
		{"above max", hdr(17, 0x04, 33), 16, ErrBadLength, StatusInvCmdLen, SubmitSMID, 33},
		{"above default max", hdr(DefaultMaxLength+1, 0x05, 34), 0, ErrBadLength, StatusInvCmdLen, DeliverSMID, 34},
		{"huge", hdr(0xFFFFFFFF, 0x05, 35), 1 << 20, ErrBadLength, StatusInvCmdLen, DeliverSMID, 35},
		{"above max, header cut", hdr(17, 0x04, 33)[:8], 16, ErrBadLength, StatusInvCmdLen, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFrame(bytes.NewReader(tt.in), tt.max)
			if f != nil || !errors.Is(err, tt.err) {
				t.Fatalf("ReadFrame(%X, %d) = %X, %v, want %v", tt.in, tt.max, f, err, tt.err)
			}
			if tt.status == 0 {
				if err != tt.err {
					t.Errorf("ReadFrame(%X) error %#v, want exactly %v", tt.in, err, tt.err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Status != tt.status || de.ID != tt.id || de.Seq != tt.seq {
				t.Errorf("ReadFrame(%X) error %+v, want status %v id %v seq %d", tt.in, de, tt.status, tt.id, tt.seq)
			}
		})
	}
}

func TestReadFrameMaxLength(t *testing.T) {
	f := frame(SubmitSMRespID, 0, 1, cs("0123456789"))
	if got, err := ReadFrame(bytes.NewReader(f), len(f)); err != nil || !bytes.Equal(got, f) {
		t.Errorf("ReadFrame(max = len) = %X, %v, want %X", got, err, f)
	}
	if _, err := ReadFrame(bytes.NewReader(f), len(f)-1); !errors.Is(err, ErrBadLength) {
		t.Errorf("ReadFrame(max = len-1) error %v, want ErrBadLength", err)
	}
}

// errReader fails with a fixed error after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadFrameReaderError(t *testing.T) {
	boom := errors.New("boom")
	f := frame(EnquireLinkID, 0, 1)
	for _, n := range []int{0, 2, 4, 10} {
		_, err := ReadFrame(&errReader{data: f[:n], err: boom}, 0)
		if !errors.Is(err, boom) {
			t.Errorf("ReadFrame(%d octets then error) = %v, want %v", n, err, boom)
		}
	}
}

// TestReadFrameLarge reads frames on both sides of the small-buffer size.
func TestReadFrameLarge(t *testing.T) {
	var in []byte
	var want [][]byte
	for _, n := range []int{smallFrame - 1, smallFrame, smallFrame + 1, 5000} {
		f := frame(SubmitSMRespID, 0, uint32(n), cs(string(bytes.Repeat([]byte{'m'}, 10))),
			tlv(0x1400, bytes.Repeat([]byte{7}, n-HeaderLen-11-4)...))
		if len(f) != n {
			t.Fatalf("built %d octets, want %d", len(f), n)
		}
		want = append(want, f)
		in = append(in, f...)
	}
	r := iotest.OneByteReader(bytes.NewReader(in))
	for _, w := range want {
		got, err := ReadFrame(r, 0)
		if err != nil || !bytes.Equal(got, w) {
			t.Fatalf("ReadFrame = %d octets, %v, want %d", len(got), err, len(w))
		}
	}
	if _, err := ReadFrame(r, 0); err != io.EOF {
		t.Errorf("ReadFrame at end = %v, want io.EOF", err)
	}
}
