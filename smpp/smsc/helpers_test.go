package smsc_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
)

// ioTimeout bounds every read of the raw test client.
const ioTimeout = 5 * time.Second

// rawClient is a minimal ESME written against the codec only.
type rawClient struct {
	t   testing.TB
	nc  net.Conn
	br  *bufio.Reader
	seq uint32
	mu  sync.Mutex // serializes writes
}

// mustDial connects a raw client to srv; it is closed at cleanup.
func mustDial(t testing.TB, srv *smsc.Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// newServer starts a server configured by setup and closes it at cleanup.
func newServer(t testing.TB, setup func(*smsc.Server)) *smsc.Server {
	t.Helper()
	srv := &smsc.Server{}
	srv.ResponseTimeout = ioTimeout
	if setup != nil {
		setup(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// send writes p with the next sequence number unless it has one, and
// returns the sequence number used.
func (c *rawClient) send(p pdu.PDU) uint32 {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	h := p.Hdr()
	if h.Seq == 0 && !h.ID.IsResponse() {
		c.seq++
		h.Seq = c.seq
	}
	b, err := pdu.Marshal(p)
	if err != nil {
		c.t.Fatalf("Marshal(%v) = %v", h.ID, err)
	}
	c.writeRaw(b)
	return h.Seq
}

func (c *rawClient) writeRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one frame or fails the test.
func (c *rawClient) readFrame() []byte {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	f, err := pdu.ReadFrame(c.br, 0)
	if err != nil {
		c.t.Fatalf("ReadFrame: %v", err)
	}
	return f
}

// read reads and decodes one PDU or fails the test.
func (c *rawClient) read() pdu.PDU {
	c.t.Helper()
	p, err := pdu.Decode(c.readFrame())
	if err != nil {
		c.t.Fatalf("Decode: %v", err)
	}
	return p
}

// expectEOF waits for the server to close the connection.
func (c *rawClient) expectEOF() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := c.br.ReadByte()
	if err == nil {
		c.t.Fatalf("read = 0x%02X, want EOF", b)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("read: timeout, want EOF")
		}
	}
}

// readAs reads one PDU and checks its type.
func readAs[T pdu.PDU](c *rawClient) T {
	c.t.Helper()
	p := c.read()
	v, ok := p.(T)
	if !ok {
		var want T
		c.t.Fatalf("read %T (%v seq %d status %v), want %T", p, p.Hdr().ID, p.Hdr().Seq, p.Hdr().Status, want)
	}
	return v
}

// bind sends a bind of kind id and returns the response.
func (c *rawClient) bind(id pdu.CommandID, systemID, password string) *pdu.BindResp {
	c.t.Helper()
	seq := c.send(&pdu.Bind{Header: pdu.Header{ID: id}, SystemID: systemID, Password: password, InterfaceVersion: 0x34})
	resp := readAs[*pdu.BindResp](c)
	if resp.Seq != seq || resp.ID != id.Response() {
		c.t.Fatalf("bind resp = %v seq %d, want %v seq %d", resp.ID, resp.Seq, id.Response(), seq)
	}
	return resp
}

// mustBind binds as transceiver and fails unless it succeeds.
func (c *rawClient) mustBind(systemID string) {
	c.t.Helper()
	if st := c.bind(pdu.BindTransceiverID, systemID, "pw").Status; st != pdu.StatusOK {
		c.t.Fatalf("bind_transceiver(%q) status = %v, want ESME_ROK", systemID, st)
	}
}

// submit sends a submit_sm with text and returns the response.
func (c *rawClient) submit(text string, registeredDelivery uint8) *pdu.SubmitSMResp {
	c.t.Helper()
	seq := c.send(newSubmit(text, registeredDelivery))
	resp := readAs[*pdu.SubmitSMResp](c)
	if resp.Seq != seq {
		c.t.Fatalf("submit_sm_resp seq = %d, want %d", resp.Seq, seq)
	}
	return resp
}

// newSubmit returns a GSM 7-bit submit_sm from INFO to 447700900123.
func newSubmit(text string, registeredDelivery uint8) *pdu.SubmitSM {
	sm := &pdu.SubmitSM{}
	sm.SourceAddrTON, sm.SourceAddr = 5, "INFO"
	sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = 1, 1, "447700900123"
	sm.RegisteredDelivery = registeredDelivery
	sm.ShortMessage = []byte(text)
	return sm
}

// ack answers a deliver_sm with status.
func (c *rawClient) ack(d *pdu.DeliverSM, status pdu.Status) {
	c.t.Helper()
	c.send(&pdu.DeliverSMResp{Header: pdu.Header{ID: pdu.DeliverSMRespID, Seq: d.Seq, Status: status}})
}

// ctx returns a context bounded by ioTimeout.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
	t.Cleanup(cancel)
	return ctx
}

// frame builds a raw header-only PDU frame with any length field.
func frame(length uint32, id pdu.CommandID, status pdu.Status, seq uint32) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b[0:], length)
	binary.BigEndian.PutUint32(b[4:], uint32(id))
	binary.BigEndian.PutUint32(b[8:], uint32(status))
	binary.BigEndian.PutUint32(b[12:], seq)
	return b
}

// countingListener counts the Write calls on accepted connections.
type countingListener struct {
	net.Listener
	writes atomic.Int64
	bytes  atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.l.writes.Add(1)
	c.l.bytes.Add(int64(len(b)))
	return c.Conn.Write(b)
}
