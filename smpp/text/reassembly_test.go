package text_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/text"
)

var t0 = time.Date(2024, 1, 15, 12, 30, 0, 0, time.UTC)

type addStep struct {
	key        text.Key
	ref        uint16
	total, seq uint8
	dcs        uint8
	data       string
	at         time.Duration // after t0
	want       string
	wantDone   bool
	wantErr    error
}

var (
	alice = text.Key{Source: "447700900123", Dest: "12345"}
	bob   = text.Key{Source: "447700900999", Dest: "12345"}
)

func TestReassembler(t *testing.T) {
	tests := []struct {
		name  string
		opts  text.ReassemblerOptions
		steps []addStep
	}{
		{"in order", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 3, seq: 1, data: "Hel"},
			{key: alice, ref: 7, total: 3, seq: 2, data: "lo "},
			{key: alice, ref: 7, total: 3, seq: 3, data: "you", want: "Hello you", wantDone: true},
		}},
		{"out of order", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 3, seq: 3, data: "you"},
			{key: alice, ref: 7, total: 3, seq: 1, data: "Hel"},
			{key: alice, ref: 7, total: 3, seq: 2, data: "lo ", want: "Hello you", wantDone: true},
		}},
		{"duplicate kept once", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, data: "ab"},
			{key: alice, ref: 7, total: 2, seq: 1, data: "XX"},
			{key: alice, ref: 7, total: 2, seq: 2, data: "cd", want: "abcd", wantDone: true},
		}},
		{"single part", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 1, seq: 1, data: "solo", want: "solo", wantDone: true},
		}},
		{"empty parts", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 2, data: ""},
			{key: alice, ref: 7, total: 2, seq: 1, data: "", want: "", wantDone: true},
		}},
		{"keys and refs are separate", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, data: "a1"},
			{key: bob, ref: 7, total: 2, seq: 2, data: "b2"},
			{key: alice, ref: 8, total: 2, seq: 2, data: "x2"},
			{key: bob, ref: 7, total: 2, seq: 1, data: "b1", want: "b1b2", wantDone: true},
			{key: alice, ref: 7, total: 2, seq: 2, data: "a2", want: "a1a2", wantDone: true},
		}},
		{"mismatched total", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, data: "a"},
			{key: alice, ref: 7, total: 3, seq: 2, data: "b", wantErr: text.ErrPartMismatch},
			{key: alice, ref: 7, total: 2, seq: 2, data: "c", want: "ac", wantDone: true},
		}},
		{"mismatched data_coding", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, dcs: 0, data: "a"},
			{key: alice, ref: 7, total: 2, seq: 2, dcs: 8, data: "b", wantErr: text.ErrPartMismatch},
		}},
		{"invalid values", text.ReassemblerOptions{}, []addStep{
			{key: alice, ref: 7, total: 0, seq: 1, data: "a", wantErr: text.ErrInvalidPart},
			{key: alice, ref: 7, total: 2, seq: 0, data: "a", wantErr: text.ErrInvalidPart},
			{key: alice, ref: 7, total: 2, seq: 3, data: "a", wantErr: text.ErrInvalidPart},
		}},
		{"total above max parts", text.ReassemblerOptions{MaxParts: 4}, []addStep{
			{key: alice, ref: 7, total: 5, seq: 1, data: "a", wantErr: text.ErrInvalidPart},
			{key: alice, ref: 7, total: 4, seq: 1, data: "a"},
		}},
		{"max pending rejects new", text.ReassemblerOptions{MaxPending: 2}, []addStep{
			{key: alice, ref: 1, total: 2, seq: 1, data: "1"},
			{key: alice, ref: 2, total: 2, seq: 1, data: "2"},
			{key: alice, ref: 3, total: 2, seq: 1, data: "3", wantErr: text.ErrTooManyPending},
			// Parts of waiting messages still go in.
			{key: alice, ref: 1, total: 2, seq: 2, data: "x", want: "1x", wantDone: true},
			{key: alice, ref: 3, total: 2, seq: 1, data: "3"},
		}},
		{"stale message restarts", text.ReassemblerOptions{Timeout: time.Minute}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, data: "old"},
			{key: alice, ref: 7, total: 3, seq: 1, data: "new", at: 2 * time.Minute},
			{key: alice, ref: 7, total: 3, seq: 3, data: "!", at: 2 * time.Minute},
			{key: alice, ref: 7, total: 3, seq: 2, data: "er", at: 2 * time.Minute, want: "newer!", wantDone: true},
		}},
		{"within timeout", text.ReassemblerOptions{Timeout: time.Minute}, []addStep{
			{key: alice, ref: 7, total: 2, seq: 1, data: "a"},
			{key: alice, ref: 7, total: 2, seq: 2, data: "b", at: time.Minute, want: "ab", wantDone: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := text.NewReassembler(tt.opts)
			for i, s := range tt.steps {
				got, done, err := r.Add(t0.Add(s.at), s.key, s.ref, s.total, s.seq, s.dcs, []byte(s.data))
				if string(got) != s.want || done != s.wantDone || !errors.Is(err, s.wantErr) {
					t.Errorf("step %d: Add(%v, %d, %d/%d, %q) = %q, %v, %v, want %q, %v, %v",
						i, s.key, s.ref, s.seq, s.total, s.data, got, done, err, s.want, s.wantDone, s.wantErr)
				}
				if (err != nil) != (s.wantErr != nil) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.wantErr)
				}
			}
		})
	}
}

func TestReassemblerCopiesData(t *testing.T) {
	r := text.NewReassembler(text.ReassemblerOptions{})
	buf := []byte("ab")
	if _, _, err := r.Add(t0, alice, 1, 2, 1, 0, buf); err != nil {
		t.Fatalf("Add error %v", err)
	}
	copy(buf, "XX")
	got, done, err := r.Add(t0, alice, 1, 2, 2, 0, []byte("cd"))
	if string(got) != "abcd" || !done || err != nil {
		t.Errorf("Add after reusing the buffer = %q, %v, %v, want %q, true, nil", got, done, err, "abcd")
	}
}

func TestReassemblerExpire(t *testing.T) {
	r := text.NewReassembler(text.ReassemblerOptions{Timeout: 10 * time.Minute})
	mustAdd := func(at time.Duration, key text.Key, ref uint16, total, seq uint8) {
		t.Helper()
		if _, done, err := r.Add(t0.Add(at), key, ref, total, seq, 8, []byte{0, 'a'}); err != nil || done {
			t.Fatalf("Add(%v, %d, %d/%d) = %v, %v, want false, nil", key, ref, seq, total, done, err)
		}
	}
	mustAdd(0, alice, 1, 3, 1)
	mustAdd(time.Minute, alice, 1, 3, 3)
	mustAdd(5*time.Minute, bob, 2, 2, 2)

	if got := r.Expire(t0.Add(10 * time.Minute)); len(got) != 0 {
		t.Errorf("Expire(+10m) = %+v, want none (timeout is inclusive)", got)
	}
	got := r.Expire(t0.Add(11 * time.Minute))
	want := []text.Expired{{Key: alice, Ref: 1, Total: 3, Received: 2, DataCoding: 8, First: t0}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("Expire(+11m) = %+v, want %+v", got, want)
	}
	if n := r.Pending(); n != 1 {
		t.Errorf("Pending() = %d, want 1", n)
	}
	// The expired message's last part now starts a new message.
	if _, done, err := r.Add(t0.Add(12*time.Minute), alice, 1, 3, 2, 8, nil); done || err != nil {
		t.Errorf("Add after expiry = %v, %v, want false, nil", done, err)
	}
	got = r.Expire(t0.Add(time.Hour))
	if len(got) != 2 {
		t.Errorf("Expire(+1h) = %+v, want 2 messages", got)
	}
	if n := r.Pending(); n != 0 {
		t.Errorf("Pending() = %d, want 0", n)
	}
}

func TestReassemblerDefaults(t *testing.T) {
	r := text.NewReassembler(text.ReassemblerOptions{})
	if _, _, err := r.Add(t0, alice, 1, 255, 255, 0, nil); err != nil {
		t.Errorf("Add(total 255) error %v", err)
	}
	if _, _, err := r.Add(t0.Add(10*time.Minute), alice, 1, 255, 1, 0, nil); err != nil {
		t.Errorf("Add(+10m) error %v", err)
	}
	if got := r.Expire(t0.Add(10*time.Minute + time.Nanosecond)); len(got) != 1 || got[0].Received != 2 {
		t.Errorf("Expire(+10m1ns) = %+v, want the message with 2 parts", got)
	}
	for i := range text.DefaultMaxPending {
		if _, _, err := r.Add(t0, alice, uint16(i), 2, 1, 0, nil); err != nil {
			t.Fatalf("Add(ref %d) error %v", i, err)
		}
	}
	if _, _, err := r.Add(t0, bob, 1, 2, 1, 0, nil); !errors.Is(err, text.ErrTooManyPending) {
		t.Errorf("Add beyond %d pending: error %v, want ErrTooManyPending", text.DefaultMaxPending, err)
	}
}

// TestReassemblerConcurrent adds the parts of many messages from several
// goroutines; each message must complete exactly once. Run with -race.
func TestReassemblerConcurrent(t *testing.T) {
	const messages, parts, workers = 50, 5, 8
	r := text.NewReassembler(text.ReassemblerOptions{})
	type result struct {
		ref  uint16
		data string
	}
	results := make(chan result, messages)
	errs := make(chan error, messages*parts)
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				m, p := j[0], j[1]
				data := fmt.Sprintf("%d.%d;", m, p)
				got, done, err := r.Add(t0, alice, uint16(m), parts, uint8(p), 0, []byte(data))
				if err != nil {
					errs <- err
				}
				if done {
					results <- result{uint16(m), string(got)}
				}
			}
		}()
	}
	for p := parts; p >= 1; p-- {
		for m := range messages {
			jobs <- [2]int{m, p}
		}
	}
	close(jobs)
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Errorf("Add error %v", err)
	}
	seen := map[uint16]bool{}
	for res := range results {
		want := ""
		for p := 1; p <= parts; p++ {
			want += fmt.Sprintf("%d.%d;", res.ref, p)
		}
		if res.data != want || seen[res.ref] {
			t.Errorf("message %d = %q (seen before: %v), want %q once", res.ref, res.data, seen[res.ref], want)
		}
		seen[res.ref] = true
	}
	if len(seen) != messages {
		t.Errorf("%d messages completed, want %d", len(seen), messages)
	}
	if n := r.Pending(); n != 0 {
		t.Errorf("Pending() = %d, want 0", n)
	}
}
