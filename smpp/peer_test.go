package smpp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// peer is a scripted SMSC on the far end of a net.Pipe. A background
// goroutine decodes everything the session writes into in; the test writes
// PDUs with write and reads them with next.
type peer struct {
	t    testing.TB
	conn net.Conn
	in   chan pdu.PDU
	done chan struct{} // closed when the background reader ends
	err  error         // why the reader ended; read after done
}

// newPeer starts the background reader on conn.
func newPeer(t testing.TB, conn net.Conn) *peer {
	p := &peer{t: t, conn: conn, in: make(chan pdu.PDU, 1024), done: make(chan struct{})}
	go p.readLoop()
	t.Cleanup(func() {
		conn.Close()
		<-p.done
	})
	return p
}

func (p *peer) readLoop() {
	defer close(p.done)
	br := bufio.NewReader(p.conn)
	for {
		frame, err := pdu.ReadFrame(br, 0)
		if err != nil {
			p.err = err
			return
		}
		x, err := pdu.Decode(frame)
		if err != nil {
			p.err = err
			return
		}
		p.in <- x
	}
}

// next returns the next PDU the session wrote; it fails the test when the
// connection ends first.
func (p *peer) next() pdu.PDU {
	p.t.Helper()
	select {
	case x := <-p.in:
		return x
	case <-p.done:
		select {
		case x := <-p.in:
			return x
		default:
		}
		p.t.Fatalf("peer: connection ended while waiting for a PDU: %v", p.err)
		return nil
	}
}

// nextID returns the next PDU and checks its command_id.
func (p *peer) nextID(id pdu.CommandID) pdu.PDU {
	p.t.Helper()
	x := p.next()
	if got := x.Hdr().ID; got != id {
		p.t.Fatalf("peer: got %v seq %d, want %v", got, x.Hdr().Seq, id)
	}
	return x
}

// none fails the test when the session wrote something. Call it after
// synctest.Wait.
func (p *peer) none() {
	p.t.Helper()
	select {
	case x := <-p.in:
		p.t.Fatalf("peer: unexpected %v seq %d", x.Hdr().ID, x.Hdr().Seq)
	default:
	}
}

// closed waits until the session closes the connection.
func (p *peer) closed() {
	p.t.Helper()
	<-p.done
	if !errors.Is(p.err, io.EOF) && !errors.Is(p.err, io.ErrClosedPipe) {
		p.t.Fatalf("peer: connection ended with %v, want EOF", p.err)
	}
}

func (p *peer) write(x pdu.PDU) {
	p.t.Helper()
	b, err := pdu.Marshal(x)
	if err != nil {
		p.t.Fatalf("peer: marshal %v: %v", x.Hdr().ID, err)
	}
	p.writeRaw(b)
}

func (p *peer) writeRaw(b []byte) {
	p.t.Helper()
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("peer: write: %v", err)
	}
}

func (p *peer) writeHex(s string) {
	p.t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		p.t.Fatal(err)
	}
	p.writeRaw(b)
}

// respond answers req with status; a submit_sm gets messageID.
func (p *peer) respond(req pdu.PDU, status pdu.Status, messageID string) {
	p.t.Helper()
	r := pdu.Response(req, status)
	if r == nil {
		p.t.Fatalf("peer: no response type for %v", req.Hdr().ID)
	}
	if status == pdu.StatusOK {
		switch x := r.(type) {
		case *pdu.SubmitSMResp:
			x.MessageID = messageID
		case *pdu.BindResp:
			x.SystemID = "SMSC"
		}
	}
	p.write(r)
}

// logBuf is a concurrency-safe log sink for assertions on log content.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testLogger returns a logger that keeps its output for assertions and
// shows it with -v.
func testLogger(t testing.TB) (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	var w io.Writer = lb
	if testing.Verbose() {
		w = io.MultiWriter(lb, testWriter{t})
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// testParams are the bind parameters the tests use.
var testParams = BindParams{SystemID: "esme", Password: "s3cr3t", SystemType: "test"}

// newPipeSession returns an unbound session on one end of a net.Pipe and the
// scripted peer on the other.
func newPipeSession(t testing.TB, opts SessionOptions) (*Session, *peer) {
	t.Helper()
	c1, c2 := net.Pipe()
	if opts.Logger == nil {
		opts.Logger, _ = testLogger(t)
	}
	s := NewSession(c1, opts)
	t.Cleanup(func() { s.Close() })
	return s, newPeer(t, c2)
}

// bindPipe returns a session bound in mode over a net.Pipe.
func bindPipe(t testing.TB, mode BindMode, opts SessionOptions) (*Session, *peer) {
	t.Helper()
	s, p := newPipeSession(t, opts)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Bind(context.Background(), mode, testParams)
		errc <- err
	}()
	req := p.next()
	if _, ok := req.(*pdu.Bind); !ok {
		t.Fatalf("first PDU = %v, want a bind", req.Hdr().ID)
	}
	p.respond(req, pdu.StatusOK, "")
	if err := <-errc; err != nil {
		t.Fatalf("Bind() = %v, want nil", err)
	}
	return s, p
}

// submitAsync submits sm in a goroutine and returns the channel of its
// result.
type submitResult struct {
	resp *pdu.SubmitSMResp
	err  error
}

func submitAsync(ctx context.Context, s *Session, dst string) <-chan submitResult {
	ch := make(chan submitResult, 1)
	go func() {
		r, err := s.Submit(ctx, testSM(dst))
		ch <- submitResult{r, err}
	}()
	return ch
}

func testSM(dst string) *pdu.SubmitSM {
	return &pdu.SubmitSM{MessageFields: pdu.MessageFields{
		SourceAddr:      "INFO",
		DestAddrTON:     1,
		DestAddrNPI:     1,
		DestinationAddr: dst,
		ShortMessage:    []byte("hello"),
	}}
}

// within fails the test if ch yields nothing within d (fake time inside a
// bubble).
func within[T any](t testing.TB, ch <-chan T, d time.Duration) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no result within %v", d)
		var zero T
		return zero
	}
}
