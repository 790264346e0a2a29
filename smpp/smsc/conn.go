package smsc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// BindMode is the bind state of a connection (§2.2).
type BindMode uint8

// Bind modes. BindNone is the OPEN state: connected, not bound.
const (
	BindNone BindMode = iota
	BindTransmitter
	BindReceiver
	BindTransceiver
)

// String returns the mode's name.
func (m BindMode) String() string {
	switch m {
	case BindNone:
		return "none"
	case BindTransmitter:
		return "transmitter"
	case BindReceiver:
		return "receiver"
	case BindTransceiver:
		return "transceiver"
	}
	return fmt.Sprintf("BindMode(%d)", uint8(m))
}

// CanSubmit reports whether the ESME may send submit_sm in mode m.
func (m BindMode) CanSubmit() bool { return m == BindTransmitter || m == BindTransceiver }

// CanReceive reports whether the SMSC may send deliver_sm in mode m.
func (m BindMode) CanReceive() bool { return m == BindReceiver || m == BindTransceiver }

// bindMode returns the mode a bind command asks for.
func bindMode(id pdu.CommandID) BindMode {
	switch id {
	case pdu.BindTransmitterID:
		return BindTransmitter
	case pdu.BindReceiverID:
		return BindReceiver
	case pdu.BindTransceiverID:
		return BindTransceiver
	}
	return BindNone
}

// maxSeq is the largest sequence number (§5.1.4).
const maxSeq = 0x7FFFFFFF

// Conn is one ESME connection to the Server. Its methods are safe for
// concurrent use. A Conn is never reused: after it closes, a reconnecting
// ESME gets a new one.
type Conn struct {
	srv  *Server
	nc   net.Conn
	id   uint64
	log  *slog.Logger
	ctx  context.Context // canceled when the connection closes
	stop context.CancelFunc
	done chan struct{} // closed when the connection closes

	closeOnce sync.Once
	lastRecv  atomic.Int64 // unix nanoseconds of the last received PDU

	// wmu serializes writes; wbuf holds PDUs queued by the reader in
	// WriteCoalesced mode until it has no more input to handle. wmu and mu
	// are never held together.
	wmu  sync.Mutex
	wbuf []byte

	// mu guards the fields below; it is never held during I/O.
	mu        sync.Mutex
	closed    bool
	mode      BindMode
	systemID  string
	unbinding bool
	seq       uint32
	pending   map[uint32]*pending
}

// pending is a request the server sent and awaits the response of.
type pending struct {
	id   pdu.CommandID
	ch   chan pdu.PDU // buffered 1, written once
	lose bool         // close the connection as the response arrives
}

func newConn(s *Server, nc net.Conn, id uint64) *Conn {
	ctx, stop := context.WithCancel(s.ctx)
	c := &Conn{
		srv:     s,
		nc:      nc,
		id:      id,
		ctx:     ctx,
		stop:    stop,
		done:    make(chan struct{}),
		pending: make(map[uint32]*pending),
	}
	c.log = s.log.With(logKeyConn, id, logKeyRemote, nc.RemoteAddr().String())
	c.lastRecv.Store(time.Now().UnixNano())
	return c
}

// ID returns the connection's number, unique within the server.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the ESME's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// SystemID returns the system_id the connection bound with, "" before bind.
func (c *Conn) SystemID() string {
	_, id := c.state()
	return id
}

// Mode returns the bind mode; BindNone before bind and after close.
func (c *Conn) Mode() BindMode {
	m, _ := c.state()
	return m
}

func (c *Conn) state() (BindMode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode, c.systemID
}

// Done returns a channel closed when the connection closes.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close closes the connection at once, without unbind.
func (c *Conn) Close() error {
	c.shutdown("closed by Conn.Close")
	return nil
}

// shutdown closes the connection once: the socket (which stops the reader
// and any blocked write), the lifetime context and the pending requests.
func (c *Conn) shutdown(reason string) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		mode := c.mode
		c.mode = BindNone
		c.mu.Unlock()
		c.stop()
		close(c.done)
		c.nc.Close()
		c.log.Info("connection closed", "reason", reason, logKeyMode, mode)
		c.srv.notify()
	})
}

// serve is the connection's reader goroutine: it frames, decodes and
// handles one PDU at a time.
func (c *Conn) serve() {
	defer c.srv.removeConn(c)
	defer func() {
		c.shutdown("reader stopped")
		// Records keep a closed Conn as a message's origin; drop its buffer.
		c.wmu.Lock()
		c.wbuf = nil
		c.wmu.Unlock()
	}()
	br := bufio.NewReader(c.nc)
	for {
		frame, err := pdu.ReadFrame(br, c.srv.cfg.maxPDU)
		if err != nil {
			var de *pdu.DecodeError
			if errors.As(err, &de) {
				// Framing is lost: nack and close (§3.3, notes §1).
				c.log.Warn("bad command_length, closing", logKeySeq, de.Seq, logKeyErr, err)
				c.enqueue(mustMarshal(pdu.NewGenericNack(de.Status, de.Seq)))
				c.flush()
				return
			}
			if !errors.Is(err, io.EOF) && c.ctx.Err() == nil {
				c.log.Info("read failed", logKeyErr, err)
			}
			return
		}
		c.lastRecv.Store(time.Now().UnixNano())
		if !c.handleFrame(frame) {
			c.flush()
			return
		}
		if br.Buffered() == 0 {
			if err := c.flush(); err != nil {
				return
			}
		}
	}
}

// handleFrame handles one received PDU; it returns false when the
// connection must close (after unbind).
func (c *Conn) handleFrame(frame []byte) bool {
	p, err := pdu.Decode(frame)
	if err != nil {
		var de *pdu.DecodeError
		if !errors.As(err, &de) {
			de = &pdu.DecodeError{Status: pdu.StatusSysErr, Err: err}
		}
		switch {
		case de.ID.IsResponse():
			// Never answer a response (§2.8); use what decoded.
			c.log.Warn("malformed response", logKeyCommand, de.ID, logKeySeq, de.Seq, logKeyErr, err)
			if p != nil && !c.handleResponse(p) {
				return false
			}
		case !de.ID.Known() || errors.Is(err, pdu.ErrUnknownCommand):
			c.log.Info("unknown command", logKeyCommand, de.ID, logKeySeq, de.Seq)
			c.enqueue(mustMarshal(pdu.NewGenericNack(pdu.StatusInvCmdID, de.Seq)))
		default:
			c.log.Info("malformed request", logKeyCommand, de.ID, logKeySeq, de.Seq,
				logKeyStatus, de.Status, logKeyErr, err)
			if req := pdu.New(de.ID); req != nil {
				req.Hdr().Seq = de.Seq
				if resp := pdu.Response(req, de.Status); resp != nil {
					c.respond(req, resp)
				}
			}
		}
		return true
	}

	h := p.Hdr()
	if h.ID.IsResponse() {
		return c.handleResponse(p)
	}
	c.log.Debug("request", logKeyCommand, h.ID, logKeySeq, h.Seq)
	switch h.ID {
	case pdu.OutbindID, pdu.AlertNotificationID:
		// SMSC-to-ESME commands without a response: ignore.
		c.log.Info("unexpected command from ESME ignored", logKeyCommand, h.ID, logKeySeq, h.Seq)
		return true
	}

	d := &dispatch{}
	resp := c.srv.dispatch(withDispatch(c.ctx, d), c, p)

	switch req := p.(type) {
	case *pdu.Bind:
		bound := false
		if resp != nil && resp.Hdr().ID == req.ID.Response() && resp.Hdr().Status == pdu.StatusOK {
			bound = c.bind(bindMode(req.ID), req.SystemID)
		}
		c.respond(p, resp)
		if bound {
			c.srv.notify()
			c.srv.flushReceipts(c)
		}
	case *pdu.Unbind:
		c.mu.Lock()
		c.mode = BindNone
		c.unbinding = true
		c.mu.Unlock()
		c.log.Info("unbind from ESME")
		if resp != nil {
			if delay := c.srv.Faults().ResponseDelay; delay > 0 {
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return false
				}
			}
			if f, err := pdu.Marshal(resp); err != nil {
				c.log.Error("cannot encode unbind response", logKeyErr, err)
			} else {
				c.enqueue(f)
			}
		}
		return false
	default:
		c.respond(p, resp)
	}
	c.runAfter(d)
	return true
}

// bind moves the connection to mode unless it is already bound.
func (c *Conn) bind(mode BindMode, systemID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.mode != BindNone {
		return false
	}
	c.mode, c.systemID = mode, systemID
	c.log.Info("bound", logKeySystemID, systemID, logKeyMode, mode)
	return true
}

// dispatch calls the Handler or HandleDefault, turning a panic into an
// ESME_RSYSERR response.
func (s *Server) dispatch(ctx context.Context, c *Conn, req pdu.PDU) (resp pdu.PDU) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panic", "panic", r, logKeyCommand, req.Hdr().ID,
				logKeySeq, req.Hdr().Seq, "stack", string(debug.Stack()))
			resp = pdu.Response(req, pdu.StatusSysErr)
		}
	}()
	if h := s.cfg.handler; h != nil {
		return h(ctx, c, req)
	}
	return s.HandleDefault(ctx, c, req)
}

// respond writes the response to req, applying the response faults. It is
// called on the reader goroutine only.
func (c *Conn) respond(req, resp pdu.PDU) {
	if resp == nil {
		return
	}
	f := c.srv.Faults()
	reqID := req.Hdr().ID
	switch {
	case f.DropEnquireLinkResp && reqID == pdu.EnquireLinkID,
		f.DropResponses && (reqID == pdu.SubmitSMID || reqID == pdu.DataSMID):
		c.log.Debug("response dropped by fault", logKeyCommand, reqID, logKeySeq, req.Hdr().Seq)
		return
	}
	frame, err := pdu.Marshal(resp)
	if err != nil {
		c.log.Error("cannot encode response, answering ESME_RSYSERR", logKeyCommand, resp.Hdr().ID, logKeyErr, err)
		frame = mustMarshal(pdu.Response(req, pdu.StatusSysErr))
	}
	if f.ErrorBody && len(frame) == pdu.HeaderLen && resp.Hdr().Status != pdu.StatusOK {
		switch resp.Hdr().ID {
		case pdu.SubmitSMRespID, pdu.DataSMRespID:
			// An empty message_id, as SMSCs that send a body with errors do.
			frame = append(frame, 0)
			binary.BigEndian.PutUint32(frame, uint32(len(frame)))
		}
	}
	if f.ResponseDelay > 0 {
		d := f.ResponseDelay
		c.srv.spawn(func() { c.writeAfter(d, frame) })
		return
	}
	c.enqueue(frame)
}

// writeAfter writes frame after d unless the connection closes first.
func (c *Conn) writeAfter(d time.Duration, frame []byte) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		c.write(frame)
	case <-c.done:
	}
}

// handleResponse completes the pending request a response answers, and
// records generic_nacks.
// handleResponse completes the request p answers; it returns false when
// the connection must close (a response to lose).
func (c *Conn) handleResponse(p pdu.PDU) bool {
	h := p.Hdr()
	if h.ID == pdu.GenericNackID {
		c.log.Warn("generic_nack from ESME", logKeySeq, h.Seq, logKeyStatus, h.Status)
		c.srv.rec.addNack(Nack{SystemID: c.SystemID(), Seq: h.Seq, Status: h.Status, Time: c.srv.now()})
	}
	c.mu.Lock()
	pr, ok := c.pending[h.Seq]
	if ok && (h.ID == pr.id.Response() || h.ID == pdu.GenericNackID) {
		delete(c.pending, h.Seq)
	} else {
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		c.log.Info("unexpected response dropped", logKeyCommand, h.ID, logKeySeq, h.Seq)
		return true
	}
	pr.ch <- p
	if pr.lose {
		// Nothing the ESME wrote after this response is read.
		c.shutdown("response lost by LoseResponse")
		return false
	}
	return true
}

// Send writes p to the ESME. If p is a request that has a response (any
// command id without bit 31 except outbind and alert_notification, unknown
// ones included), Send waits for the response or a generic_nack with the
// same sequence number and returns it; otherwise it returns nil after the
// write. A zero sequence number is replaced by the connection's next one
// (in the written octets only; p is not modified apart from Header.Length,
// and Header.ID when zero, which encoding sets). Send does not check the bind state: it injects
// anything, as a misbehaving SMSC might.
//
// It fails with ErrConnClosed, the context's cause, or ErrTimeout after
// ResponseTimeout.
func (c *Conn) Send(ctx context.Context, p pdu.PDU) (pdu.PDU, error) {
	if p == nil {
		return nil, errors.New("smsc: send nil pdu")
	}
	frame, err := pdu.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("smsc: send: %w", err)
	}
	id := p.Hdr().ID
	if !expectsResponse(id) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("smsc: send %v: %w", id, err)
		}
		return nil, c.write(frame)
	}
	seq, ch, err := c.start(id, p.Hdr().Seq, frame, false, false)
	if err != nil {
		return nil, err
	}
	return c.await(ctx, id, seq, ch)
}

// expectsResponse reports whether a PDU with this command id is answered.
func expectsResponse(id pdu.CommandID) bool {
	return !id.IsResponse() && id != pdu.OutbindID && id != pdu.AlertNotificationID
}

// start registers a request under a sequence number (seq, or the next free
// one when zero), patches it into frame and writes it (queued behind the
// reader's pending output when queued is set, which only the reader may
// ask for).
func (c *Conn) start(id pdu.CommandID, seq uint32, frame []byte, queued, lose bool) (uint32, chan pdu.PDU, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, nil, fmt.Errorf("smsc: send %v: %w", id, ErrConnClosed)
	}
	if seq == 0 {
		for {
			c.seq++
			if c.seq > maxSeq {
				c.seq = 1
			}
			if _, busy := c.pending[c.seq]; !busy {
				seq = c.seq
				break
			}
		}
	} else if _, busy := c.pending[seq]; busy {
		c.mu.Unlock()
		return 0, nil, fmt.Errorf("smsc: send %v: sequence number %d already awaits a response", id, seq)
	}
	ch := make(chan pdu.PDU, 1)
	c.pending[seq] = &pending{id: id, ch: ch, lose: lose}
	c.mu.Unlock()

	binary.BigEndian.PutUint32(frame[12:], seq)
	var err error
	if queued {
		err = c.enqueue(frame)
	} else {
		err = c.write(frame)
	}
	if err != nil {
		c.forget(seq, ch)
		return 0, nil, err
	}
	return seq, ch, nil
}

// await waits for the response to a started request.
func (c *Conn) await(ctx context.Context, id pdu.CommandID, seq uint32, ch chan pdu.PDU) (pdu.PDU, error) {
	defer c.forget(seq, ch)
	ctx, cancel := context.WithTimeoutCause(ctx, c.srv.cfg.responseTimeout, ErrTimeout)
	defer cancel()
	select {
	case resp := <-ch:
		return resp, nil
	case <-c.done:
		return nil, fmt.Errorf("smsc: %v seq %d: %w", id, seq, ErrConnClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("smsc: %v seq %d: %w", id, seq, context.Cause(ctx))
	}
}

// forget drops a pending entry if it is still the one registered.
func (c *Conn) forget(seq uint32, ch chan pdu.PDU) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pr, ok := c.pending[seq]; ok && pr.ch == ch {
		delete(c.pending, seq)
	}
}

// SendRaw writes b unchanged, in the current write mode: garbage, a
// truncated PDU or one with a forged command_length, to test the ESME's
// framing. A failed write closes the connection.
func (c *Conn) SendRaw(ctx context.Context, b []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smsc: send raw: %w", err)
	}
	return c.write(b)
}

// Deliver sends d (deliver_sm) and returns the command_status of the
// ESME's deliver_sm_resp, or of its generic_nack. d is not modified. It
// fails with ErrNotBound unless the connection is bound as a receiver or
// transceiver.
func (c *Conn) Deliver(ctx context.Context, d *pdu.DeliverSM) (pdu.Status, error) {
	return c.deliver(ctx, d, false)
}

// DeliverLosingAck sends d as Deliver does, and closes the connection the
// moment the ESME's deliver_sm_resp arrives, reading nothing the ESME wrote
// after it: a link that fails with the acknowledgement on the wire, after
// which a real SMSC delivers the message again. It returns the status the
// ESME answered with, once the connection is closed.
func (c *Conn) DeliverLosingAck(ctx context.Context, d *pdu.DeliverSM) (pdu.Status, error) {
	return c.deliver(ctx, d, true)
}

func (c *Conn) deliver(ctx context.Context, d *pdu.DeliverSM, lose bool) (pdu.Status, error) {
	if d == nil {
		return 0, errors.New("smsc: deliver nil deliver_sm")
	}
	if !c.Mode().CanReceive() {
		return 0, fmt.Errorf("smsc: deliver on conn %d: %w", c.id, ErrNotBound)
	}
	cp := *d
	cp.Header = pdu.Header{ID: pdu.DeliverSMID, Seq: d.Seq}
	frame, err := pdu.Marshal(&cp)
	if err != nil {
		return 0, fmt.Errorf("smsc: deliver: %w", err)
	}
	seq, ch, err := c.start(pdu.DeliverSMID, cp.Seq, frame, false, lose)
	if err != nil {
		return 0, err
	}
	resp, err := c.await(ctx, pdu.DeliverSMID, seq, ch)
	if lose && errors.Is(err, ErrConnClosed) {
		select { // the response came with the close
		case resp = <-ch:
			err = nil
		default:
		}
	}
	if err != nil {
		return 0, err
	}
	if lose {
		<-c.done // closed as soon as the response was handed over
	}
	return resp.Hdr().Status, nil
}

// Unbind sends unbind, waits for unbind_resp (or for the ESME to close the
// connection) and closes the connection. While it waits, submits are
// answered with ESME_RINVBNDSTS.
func (c *Conn) Unbind(ctx context.Context) error {
	c.mu.Lock()
	c.unbinding = true
	c.mu.Unlock()
	resp, err := c.Send(ctx, &pdu.Unbind{})
	c.shutdown("unbind by server")
	if errors.Is(err, ErrConnClosed) {
		return nil // the ESME closed first, or unbound at the same time
	}
	if err != nil {
		return err
	}
	if st := resp.Hdr().Status; st != pdu.StatusOK {
		return fmt.Errorf("smsc: unbind: %w", st)
	}
	return nil
}

// keepalive closes a connection that does not bind within InitTimeout and
// probes an idle bound connection with enquire_link.
func (c *Conn) keepalive() {
	cfg := &c.srv.cfg
	var initC <-chan time.Time
	if cfg.initTimeout > 0 {
		t := time.NewTimer(cfg.initTimeout)
		defer t.Stop()
		initC = t.C
	}
	var tickC <-chan time.Time
	if cfg.enquireInterval > 0 {
		t := time.NewTicker(cfg.enquireInterval)
		defer t.Stop()
		tickC = t.C
	}
	for {
		select {
		case <-c.done:
			return
		case <-initC:
			initC = nil
			if c.Mode() == BindNone {
				c.log.Info("no bind within session init timeout, closing", "timeout", cfg.initTimeout)
				c.shutdown("session init timeout")
				return
			}
		case <-tickC:
			if c.Mode() == BindNone {
				continue
			}
			idle := time.Since(time.Unix(0, c.lastRecv.Load()))
			if idle < cfg.enquireInterval {
				continue
			}
			ctx, cancel := context.WithTimeout(c.ctx, cfg.enquireTimeout)
			resp, err := c.Send(ctx, &pdu.EnquireLink{})
			cancel()
			if err != nil {
				if c.ctx.Err() == nil {
					c.log.Warn("enquire_link unanswered, closing", logKeyErr, err)
					c.shutdown("enquire_link timeout")
				}
				return
			}
			if st := resp.Hdr().Status; st != pdu.StatusOK {
				c.log.Warn("enquire_link answered with error", logKeyStatus, st)
			}
		}
	}
}

// write writes frame now, after any output the reader has queued.
func (c *Conn) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.wbuf) > 0 {
		c.wbuf = append(c.wbuf, frame...)
		return c.flushLocked()
	}
	return c.writeLocked(frame)
}

// enqueue is write for the reader goroutine: in WriteCoalesced mode the
// frame waits until the reader has handled all the input it holds, so that
// the responses to PDUs that arrived together leave in one write.
func (c *Conn) enqueue(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.srv.Faults().Write == WriteCoalesced {
		c.wbuf = append(c.wbuf, frame...)
		return nil
	}
	if len(c.wbuf) > 0 {
		c.wbuf = append(c.wbuf, frame...)
		return c.flushLocked()
	}
	return c.writeLocked(frame)
}

// flush writes the queued output.
func (c *Conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

func (c *Conn) flushLocked() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	err := c.writeLocked(c.wbuf)
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	return err
}

// writeLocked writes b in the current write mode under a deadline. A failed
// write leaves the stream in an unknown state, so it closes the socket.
func (c *Conn) writeLocked(b []byte) error {
	select {
	case <-c.done:
		return ErrConnClosed
	default:
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.writeTimeout)); err != nil {
		c.nc.Close()
		return fmt.Errorf("smsc: write: %w", err)
	}
	var err error
	if c.srv.Faults().Write == WriteBytewise {
		for i := 0; i < len(b) && err == nil; i++ {
			_, err = c.nc.Write(b[i : i+1])
		}
	} else {
		_, err = c.nc.Write(b)
	}
	if err != nil {
		c.nc.Close()
		return fmt.Errorf("smsc: write: %w", err)
	}
	return nil
}

// mustMarshal encodes a PDU built by this package; failure is a bug.
func mustMarshal(p pdu.PDU) []byte {
	b, err := pdu.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("smsc: encode %v: %v", p.Hdr().ID, err))
	}
	return b
}
