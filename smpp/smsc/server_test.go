package smsc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/smpp/text"
)

func TestBind(t *testing.T) {
	creds := map[string]string{"gw": "secret"}
	tests := []struct {
		name     string
		id       pdu.CommandID
		systemID string
		password string
		want     pdu.Status
	}{
		{"transceiver ok", pdu.BindTransceiverID, "gw", "secret", pdu.StatusOK},
		{"transmitter ok", pdu.BindTransmitterID, "gw", "secret", pdu.StatusOK},
		{"receiver ok", pdu.BindReceiverID, "gw", "secret", pdu.StatusOK},
		{"wrong password", pdu.BindTransceiverID, "gw", "guess", pdu.StatusInvPassword},
		{"unknown system_id", pdu.BindTransceiverID, "other", "secret", pdu.StatusInvSysID},
	}
	srv := newServer(t, func(s *smsc.Server) {
		s.Credentials = creds
		s.SystemID = "SMSC1"
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustDial(t, srv)
			resp := c.bind(tt.id, tt.systemID, tt.password)
			if resp.Status != tt.want {
				t.Fatalf("%v(%q, %q) status = %v, want %v", tt.id, tt.systemID, tt.password, resp.Status, tt.want)
			}
			if tt.want != pdu.StatusOK {
				if resp.SystemID != "" || len(resp.TLVs) != 0 {
					t.Errorf("error bind resp body = %q %v, want none", resp.SystemID, resp.TLVs)
				}
				return
			}
			if resp.SystemID != "SMSC1" {
				t.Errorf("bind resp system_id = %q, want %q", resp.SystemID, "SMSC1")
			}
			if v, ok := resp.TLVs.Uint8(pdu.TagSCInterfaceVersion); !ok || v != 0x34 {
				t.Errorf("sc_interface_version = 0x%02X, %v, want 0x34, true", v, ok)
			}
			if st := c.bind(pdu.BindTransceiverID, tt.systemID, tt.password).Status; st != pdu.StatusAlreadyBound {
				t.Errorf("second bind status = %v, want ESME_RALYBND", st)
			}
		})
	}
}

func TestBindAnyCredentials(t *testing.T) {
	srv := newServer(t, nil)
	c := mustDial(t, srv)
	if st := c.bind(pdu.BindTransmitterID, "whoever", "x").Status; st != pdu.StatusOK {
		t.Fatalf("bind with empty Credentials status = %v, want ESME_ROK", st)
	}
	conn, err := srv.WaitBound(testCtx(t), "whoever")
	if err != nil {
		t.Fatalf("WaitBound = %v", err)
	}
	if conn.Mode() != smsc.BindTransmitter || conn.SystemID() != "whoever" {
		t.Errorf("conn = %v %q, want transmitter %q", conn.Mode(), conn.SystemID(), "whoever")
	}
}

func TestBindState(t *testing.T) {
	srv := newServer(t, nil)
	tests := []struct {
		name string
		bind pdu.CommandID // 0: not bound
		req  pdu.PDU
		want pdu.Status
	}{
		{"submit before bind", 0, newSubmit("hi", 0), pdu.StatusInvBindStatus},
		{"data_sm before bind", 0, &pdu.DataSM{}, pdu.StatusInvBindStatus},
		{"query before bind", 0, &pdu.QuerySM{MessageID: "1"}, pdu.StatusInvBindStatus},
		{"submit on receiver", pdu.BindReceiverID, newSubmit("hi", 0), pdu.StatusInvBindStatus},
		{"query on receiver", pdu.BindReceiverID, &pdu.QuerySM{MessageID: "1"}, pdu.StatusInvBindStatus},
		{"data_sm on receiver", pdu.BindReceiverID, &pdu.DataSM{}, pdu.StatusOK},
		{"submit on transmitter", pdu.BindTransmitterID, newSubmit("hi", 0), pdu.StatusOK},
		{"replace_sm", pdu.BindTransceiverID, &pdu.ReplaceSM{MessageID: "1"}, pdu.StatusInvCmdID},
		{"enquire_link before bind", 0, &pdu.EnquireLink{}, pdu.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustDial(t, srv)
			if tt.bind != 0 {
				if st := c.bind(tt.bind, "gw", "pw").Status; st != pdu.StatusOK {
					t.Fatalf("bind status = %v", st)
				}
			}
			seq := c.send(tt.req)
			resp := c.read()
			if h := resp.Hdr(); h.ID != tt.req.Hdr().ID.Response() || h.Seq != seq || h.Status != tt.want {
				t.Fatalf("%v = %v seq %d status %v, want %v seq %d status %v",
					tt.req.Hdr().ID, h.ID, h.Seq, h.Status, tt.req.Hdr().ID.Response(), seq, tt.want)
			}
		})
	}
}

func TestSubmitRecorded(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := newServer(t, func(s *smsc.Server) {
		s.OnSubmit = func(sub smsc.Submission) {
			mu.Lock()
			seen = append(seen, sub.MessageID)
			mu.Unlock()
		}
	})
	c := mustDial(t, srv)
	c.mustBind("gw")
	texts := []string{"first", "second", "third"}
	for i, txt := range texts {
		resp := c.submit(txt, 0)
		if want := fmt.Sprintf("%08X", i+1); resp.Status != pdu.StatusOK || resp.MessageID != want {
			t.Fatalf("submit %d = %v %q, want ESME_ROK %q", i, resp.Status, resp.MessageID, want)
		}
	}
	subs, err := srv.WaitSubmitted(testCtx(t), len(texts))
	if err != nil {
		t.Fatalf("WaitSubmitted = %v", err)
	}
	if len(subs) != len(texts) {
		t.Fatalf("WaitSubmitted returned %d, want %d", len(subs), len(texts))
	}
	for i, sub := range subs {
		got, err := sub.Text()
		if err != nil || got != texts[i] {
			t.Errorf("Submitted()[%d].Text() = %q, %v, want %q", i, got, err, texts[i])
		}
		if sub.SystemID != "gw" || sub.SubmitSM == nil || sub.Destination() != "447700900123" || sub.Source() != "INFO" {
			t.Errorf("Submitted()[%d] = %+v, want system gw, 447700900123 from INFO", i, sub)
		}
	}
	// OnSubmit runs after the response is queued; an enquire_link round
	// trip orders it before this check.
	c.send(&pdu.EnquireLink{})
	readAs[*pdu.EnquireLinkResp](c)
	mu.Lock()
	got := strings.Join(seen, ",")
	mu.Unlock()
	if want := "00000001,00000002,00000003"; got != want {
		t.Errorf("OnSubmit ids = %s, want %s", got, want)
	}
	srv.Reset()
	if n := len(srv.Submitted()); n != 0 {
		t.Errorf("Submitted after Reset has %d, want 0", n)
	}
	if resp := c.submit("after reset", 0); resp.MessageID != "00000004" {
		t.Errorf("id after Reset = %q, want 00000004 (ids keep counting)", resp.MessageID)
	}
}

func TestMessageIDFormats(t *testing.T) {
	tests := []struct {
		name string
		f    func(uint64) string
		want string
	}{
		{"hex default", nil, "00000001"},
		{"decimal", smsc.DecimalID, "0000000001"},
		{"custom", func(n uint64) string { return fmt.Sprintf("msg-%d", n) }, "msg-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *smsc.Server) { s.MessageID = tt.f })
			c := mustDial(t, srv)
			c.mustBind("gw")
			if got := c.submit("x", 0).MessageID; got != tt.want {
				t.Errorf("message id = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDataSM(t *testing.T) {
	srv := newServer(t, nil)
	c := mustDial(t, srv)
	c.mustBind("gw")
	d := &pdu.DataSM{SourceAddr: "INFO", DestinationAddr: "447700900123"}
	d.TLVs.Set(pdu.TagMessagePayload, []byte("payload text"))
	seq := c.send(d)
	resp := readAs[*pdu.DataSMResp](c)
	if resp.Seq != seq || resp.Status != pdu.StatusOK || resp.MessageID != "00000001" {
		t.Fatalf("data_sm_resp = seq %d %v %q, want seq %d ESME_ROK 00000001", resp.Seq, resp.Status, resp.MessageID, seq)
	}
	subs := srv.Submitted()
	if len(subs) != 1 || subs[0].DataSM == nil {
		t.Fatalf("Submitted() = %+v, want one data_sm", subs)
	}
	if got, err := subs[0].Text(); got != "payload text" || err != nil {
		t.Errorf("Text() = %q, %v, want %q", got, err, "payload text")
	}
}

func fixedNow() time.Time { return time.Date(2024, 1, 15, 12, 30, 45, 0, time.UTC) }

func TestAutoReceipt(t *testing.T) {
	tests := []struct {
		name     string
		state    smsc.MessageState
		rd       uint8
		wantText string // "" = no receipt
		wantErr  bool   // network_error_code expected
	}{
		{"delivered", 0, 1,
			"id:00000001 sub:001 dlvrd:001 submit date:2401151230 done date:2401151230 stat:DELIVRD err:000 text:Hello {world} 123456", false},
		{"undeliverable", smsc.StateUndeliverable, 1,
			"id:00000001 sub:001 dlvrd:000 submit date:2401151230 done date:2401151230 stat:UNDELIV err:001 text:Hello {world} 123456", true},
		{"failure only, failed", smsc.StateRejected, 2,
			"id:00000001 sub:001 dlvrd:000 submit date:2401151230 done date:2401151230 stat:REJECTD err:001 text:Hello {world} 123456", true},
		{"failure only, delivered", 0, 2, "", false},
		{"none requested", 0, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *smsc.Server) {
				s.Now = fixedNow
				s.ReceiptState = tt.state
			})
			c := mustDial(t, srv)
			c.mustBind("gw")
			msg := "Hello {world} 1234567890" // 24 characters; the receipt quotes 20
			sm := newSubmit("", tt.rd)
			_, data, err := text.Encode(msg, text.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sm.ShortMessage = data
			c.send(sm)
			resp := readAs[*pdu.SubmitSMResp](c)
			if tt.wantText == "" {
				// A receipt would be written right after the response.
				seq := c.send(&pdu.EnquireLink{})
				if got := readAs[*pdu.EnquireLinkResp](c); got.Seq != seq {
					t.Fatalf("enquire_link_resp seq = %d, want %d", got.Seq, seq)
				}
				return
			}
			d := readAs[*pdu.DeliverSM](c)
			c.ack(d, pdu.StatusOK)
			if d.ESMClass != pdu.ESMTypeReceipt || d.DataCoding != 0 {
				t.Errorf("receipt esm_class, data_coding = 0x%02X, 0x%02X, want 0x04, 0x00", d.ESMClass, d.DataCoding)
			}
			if d.SourceAddr != "447700900123" || d.SourceAddrTON != 1 || d.DestinationAddr != "INFO" || d.DestAddrTON != 5 {
				t.Errorf("receipt addresses = %d/%q -> %d/%q, want swapped submit addresses",
					d.SourceAddrTON, d.SourceAddr, d.DestAddrTON, d.DestinationAddr)
			}
			got, err := text.Decode(d.DataCoding, d.ShortMessage, text.Options{})
			if err != nil || got != tt.wantText {
				t.Errorf("receipt text = %q, %v\nwant %q", got, err, tt.wantText)
			}
			if id, ok := d.TLVs.CString(pdu.TagReceiptedMessageID); !ok || id != resp.MessageID {
				t.Errorf("receipted_message_id = %q, %v, want %q", id, ok, resp.MessageID)
			}
			wantState := tt.state
			if wantState == 0 {
				wantState = smsc.StateDelivered
			}
			if st, ok := d.TLVs.Uint8(pdu.TagMessageState); !ok || smsc.MessageState(st) != wantState {
				t.Errorf("message_state = %d, %v, want %d", st, ok, wantState)
			}
			if _, ok := d.TLVs.NetworkErrorCode(); ok != tt.wantErr {
				t.Errorf("network_error_code present = %v, want %v", ok, tt.wantErr)
			}
		})
	}
}

func TestReceiptOnSeparateReceiver(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) {
		s.ReceiptID = smsc.HexToDecimal
		s.MessageID = func(n uint64) string { return fmt.Sprintf("%X", 0xA0+n) }
	})
	tx := mustDial(t, srv)
	if st := tx.bind(pdu.BindTransmitterID, "gw", "pw").Status; st != pdu.StatusOK {
		t.Fatalf("bind tx = %v", st)
	}
	// No receiver yet: the receipt is queued until one binds.
	resp := tx.submit("hi", 1)
	if resp.MessageID != "A1" {
		t.Fatalf("message id = %q, want A1", resp.MessageID)
	}
	rx := mustDial(t, srv)
	if st := rx.bind(pdu.BindReceiverID, "gw", "pw").Status; st != pdu.StatusOK {
		t.Fatalf("bind rx = %v", st)
	}
	d := readAs[*pdu.DeliverSM](rx)
	rx.ack(d, pdu.StatusOK)
	if id, _ := d.TLVs.CString(pdu.TagReceiptedMessageID); id != "161" {
		t.Errorf("receipted_message_id = %q, want 161 (decimal of A1)", id)
	}
	if !bytes.HasPrefix(d.ShortMessage, []byte("id:161 ")) {
		t.Errorf("receipt text = %q, want prefix %q", d.ShortMessage, "id:161 ")
	}
	// With a receiver bound, the next receipt goes to it directly.
	tx.submit("again", 1)
	d = readAs[*pdu.DeliverSM](rx)
	rx.ack(d, pdu.StatusOK)
	if id, _ := d.TLVs.CString(pdu.TagReceiptedMessageID); id != "162" {
		t.Errorf("second receipted_message_id = %q, want 162", id)
	}
}

func TestSendReceiptAndQuery(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) {
		s.ReceiptDelay = time.Hour // stays ENROUTE
		s.Now = fixedNow
	})
	c := mustDial(t, srv)
	c.mustBind("gw")
	id := c.submit("pending", 1).MessageID

	query := func(id string) *pdu.QuerySMResp {
		t.Helper()
		c.send(&pdu.QuerySM{MessageID: id, SourceAddr: "INFO"})
		return readAs[*pdu.QuerySMResp](c)
	}
	if r := query(id); r.Status != pdu.StatusOK || r.MessageState != uint8(smsc.StateEnroute) || r.FinalDate != "" {
		t.Fatalf("query_sm(%q) = %v state %d final %q, want ESME_ROK ENROUTE no date", id, r.Status, r.MessageState, r.FinalDate)
	}
	if r := query("nope"); r.Status != pdu.StatusQueryFail {
		t.Errorf("query_sm(unknown) status = %v, want ESME_RQUERYFAIL", r.Status)
	}

	subs := srv.Submitted()
	errc := make(chan error, 1)
	go func() {
		st, err := srv.SendReceipt(testCtx(t), subs[0], smsc.StateExpired)
		if err == nil && st != pdu.StatusOK {
			err = fmt.Errorf("status %v", st)
		}
		errc <- err
	}()
	d := readAs[*pdu.DeliverSM](c)
	c.ack(d, pdu.StatusOK)
	if err := <-errc; err != nil {
		t.Fatalf("SendReceipt = %v", err)
	}
	if !strings.Contains(string(d.ShortMessage), "stat:EXPIRED err:001") {
		t.Errorf("manual receipt text = %q, want stat:EXPIRED err:001", d.ShortMessage)
	}
	r := query(id)
	if r.MessageState != uint8(smsc.StateExpired) || r.FinalDate != "240115123045000+" || r.ErrorCode != 1 {
		t.Errorf("query_sm after receipt = state %d final %q err %d, want 3 240115123045000+ 1", r.MessageState, r.FinalDate, r.ErrorCode)
	}
}

func TestCancel(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) { s.ReceiptDelay = time.Hour })
	c := mustDial(t, srv)
	c.mustBind("gw")
	id := c.submit("to cancel", 1).MessageID
	cancelSM := func(id string) pdu.Status {
		t.Helper()
		c.send(&pdu.CancelSM{MessageID: id})
		return readAs[*pdu.CancelSMResp](c).Status
	}
	if st := cancelSM(id); st != pdu.StatusOK {
		t.Fatalf("cancel_sm(%q) = %v, want ESME_ROK", id, st)
	}
	if st := cancelSM(id); st != pdu.StatusCancelFail {
		t.Errorf("second cancel_sm = %v, want ESME_RCANCELFAIL", st)
	}
	c.send(&pdu.QuerySM{MessageID: id})
	if r := readAs[*pdu.QuerySMResp](c); r.MessageState != uint8(smsc.StateDeleted) {
		t.Errorf("state after cancel = %d, want DELETED", r.MessageState)
	}
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name   string
		answer func(c *rawClient, d *pdu.DeliverSM)
		want   pdu.Status
	}{
		{"ok", func(c *rawClient, d *pdu.DeliverSM) { c.ack(d, pdu.StatusOK) }, pdu.StatusOK},
		{"temporary error", func(c *rawClient, d *pdu.DeliverSM) { c.ack(d, pdu.StatusXTAppn) }, pdu.StatusXTAppn},
		{"generic_nack", func(c *rawClient, d *pdu.DeliverSM) {
			c.send(pdu.NewGenericNack(pdu.StatusInvOptParStream, d.Seq))
		}, pdu.StatusInvOptParStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			c := mustDial(t, srv)
			c.mustBind("gw")
			mo := &pdu.DeliverSM{}
			mo.SourceAddr, mo.DestinationAddr, mo.ShortMessage = "447700900123", "123", []byte("PAY 500")
			type result struct {
				st  pdu.Status
				err error
			}
			res := make(chan result, 1)
			go func() {
				st, err := srv.Deliver(testCtx(t), mo)
				res <- result{st, err}
			}()
			d := readAs[*pdu.DeliverSM](c)
			if string(d.ShortMessage) != "PAY 500" || d.Seq == 0 {
				t.Errorf("deliver_sm = %q seq %d, want %q and a sequence number", d.ShortMessage, d.Seq, "PAY 500")
			}
			tt.answer(c, d)
			r := <-res
			if r.err != nil || r.st != tt.want {
				t.Fatalf("Deliver = %v, %v, want %v, nil", r.st, r.err, tt.want)
			}
			if mo.Seq != 0 {
				t.Errorf("Deliver changed the caller's sequence number to %d", mo.Seq)
			}
		})
	}
}

func TestDeliverErrors(t *testing.T) {
	t.Run("none bound", func(t *testing.T) {
		srv := newServer(t, nil)
		tx := mustDial(t, srv)
		if st := tx.bind(pdu.BindTransmitterID, "gw", "pw").Status; st != pdu.StatusOK {
			t.Fatal(st)
		}
		if _, err := srv.Deliver(testCtx(t), &pdu.DeliverSM{}); !errors.Is(err, smsc.ErrNotBound) {
			t.Errorf("Deliver with only a transmitter = %v, want ErrNotBound", err)
		}
		if _, err := srv.DeliverTo(testCtx(t), "gw", &pdu.DeliverSM{}); !errors.Is(err, smsc.ErrNotBound) {
			t.Errorf("DeliverTo(gw) = %v, want ErrNotBound", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		srv := newServer(t, func(s *smsc.Server) { s.ResponseTimeout = 50 * time.Millisecond })
		c := mustDial(t, srv)
		c.mustBind("gw")
		_, err := srv.Deliver(testCtx(t), &pdu.DeliverSM{})
		if !errors.Is(err, smsc.ErrTimeout) {
			t.Errorf("Deliver unanswered = %v, want ErrTimeout", err)
		}
		readAs[*pdu.DeliverSM](c)
	})
	t.Run("connection closed", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		errc := make(chan error, 1)
		go func() {
			_, err := srv.Deliver(testCtx(t), &pdu.DeliverSM{})
			errc <- err
		}()
		readAs[*pdu.DeliverSM](c)
		c.nc.Close()
		if err := <-errc; !errors.Is(err, smsc.ErrConnClosed) {
			t.Errorf("Deliver on a closed connection = %v, want ErrConnClosed", err)
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := srv.Deliver(ctx, &pdu.DeliverSM{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Deliver with canceled ctx = %v, want context.Canceled", err)
		}
	})
}

func TestDeliverToSystemID(t *testing.T) {
	srv := newServer(t, nil)
	a, b := mustDial(t, srv), mustDial(t, srv)
	a.mustBind("alpha")
	b.mustBind("beta")
	for range 3 {
		done := make(chan error, 1)
		go func() {
			_, err := srv.DeliverTo(testCtx(t), "beta", &pdu.DeliverSM{})
			done <- err
		}()
		b.ack(readAs[*pdu.DeliverSM](b), pdu.StatusOK)
		if err := <-done; err != nil {
			t.Fatalf("DeliverTo(beta) = %v", err)
		}
	}
}

func TestDeliverText(t *testing.T) {
	ucs2 := strings.Repeat("Ж", 200) // not in GSM 03.38: UCS2, 67 characters per part with an 8-bit UDH
	tests := []struct {
		name      string
		msg       string
		opts      *smsc.TextOptions
		wantParts int
		wantDCS   uint8
		check     func(t *testing.T, i int, d *pdu.DeliverSM)
	}{
		{"short gsm7", "PAY 500 1234", nil, 1, 0, func(t *testing.T, i int, d *pdu.DeliverSM) {
			if d.ESMClass != 0 || string(d.ShortMessage) != "PAY 500 1234" {
				t.Errorf("part = esm 0x%02X %q, want 0x00 %q", d.ESMClass, d.ShortMessage, "PAY 500 1234")
			}
		}},
		{"ucs2 200 udh8", ucs2, &smsc.TextOptions{Ref: 0x2A}, 3, 8, func(t *testing.T, i int, d *pdu.DeliverSM) {
			want := []byte{0x05, 0x00, 0x03, 0x2A, 3, byte(i + 1)}
			if !d.ESMClass.UDHI() || !bytes.Equal(d.ShortMessage[:6], want) {
				t.Errorf("part %d = esm 0x%02X UDH % X, want UDHI and % X", i+1, d.ESMClass, d.ShortMessage[:6], want)
			}
			if n := len(d.ShortMessage) - 6; n > 134 || n%2 != 0 {
				t.Errorf("part %d carries %d octets of UCS2, want an even count <= 134", i+1, n)
			}
		}},
		{"ucs2 200 udh16", ucs2, &smsc.TextOptions{Concat: text.ConcatUDH16, Ref: 0x1234}, 4, 8, func(t *testing.T, i int, d *pdu.DeliverSM) {
			want := []byte{0x06, 0x08, 0x04, 0x12, 0x34, 4, byte(i + 1)}
			if !bytes.Equal(d.ShortMessage[:7], want) {
				t.Errorf("part %d UDH = % X, want % X", i+1, d.ShortMessage[:7], want)
			}
		}},
		{"ucs2 200 sar", ucs2, &smsc.TextOptions{Concat: text.ConcatSAR, Ref: 7}, 4, 8, func(t *testing.T, i int, d *pdu.DeliverSM) {
			ref, _ := d.TLVs.Uint16(pdu.TagSarMsgRefNum)
			total, _ := d.TLVs.Uint8(pdu.TagSarTotalSegments)
			seq, _ := d.TLVs.Uint8(pdu.TagSarSegmentSeqnum)
			if d.ESMClass.UDHI() || ref != 7 || total != 4 || int(seq) != i+1 {
				t.Errorf("part %d = udhi %v sar %d/%d/%d, want no UDHI and 7/4/%d", i+1, d.ESMClass.UDHI(), ref, total, seq, i+1)
			}
		}},
		{"ucs2 200 payload", ucs2, &smsc.TextOptions{Concat: text.ConcatPayload}, 1, 8, func(t *testing.T, i int, d *pdu.DeliverSM) {
			v, ok := d.TLVs.Get(pdu.TagMessagePayload)
			if !ok || len(v) != 400 || len(d.ShortMessage) != 0 {
				t.Errorf("payload part = %d octets (%v), short_message %d, want 400, 0", len(v), ok, len(d.ShortMessage))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			c := mustDial(t, srv)
			c.mustBind("gw")
			type result struct {
				st  []pdu.Status
				err error
			}
			res := make(chan result, 1)
			go func() {
				st, err := srv.DeliverText(testCtx(t), "447700900123", "123", tt.msg, tt.opts)
				res <- result{st, err}
			}()
			var whole []byte
			for i := range tt.wantParts {
				d := readAs[*pdu.DeliverSM](c)
				c.ack(d, pdu.StatusOK)
				if d.DataCoding != tt.wantDCS || d.SourceAddr != "447700900123" || d.DestinationAddr != "123" {
					t.Errorf("part %d = dcs 0x%02X %q -> %q, want dcs 0x%02X", i+1, d.DataCoding, d.SourceAddr, d.DestinationAddr, tt.wantDCS)
				}
				tt.check(t, i, d)
				ud := d.ShortMessage
				if v, ok := d.TLVs.Get(pdu.TagMessagePayload); ok {
					ud = v
				}
				if d.ESMClass.UDHI() {
					_, rest, err := text.ParseUDH(ud)
					if err != nil {
						t.Fatalf("ParseUDH(part %d) = %v", i+1, err)
					}
					ud = rest
				}
				whole = append(whole, ud...)
			}
			r := <-res
			if r.err != nil || len(r.st) != tt.wantParts {
				t.Fatalf("DeliverText = %v, %v, want %d statuses", r.st, r.err, tt.wantParts)
			}
			if got, _ := text.Decode(tt.wantDCS, whole, text.Options{}); got != tt.msg {
				t.Errorf("reassembled text = %q, want %q", got, tt.msg)
			}
		})
	}
}

func TestDeliverUSSD(t *testing.T) {
	srv := newServer(t, nil)
	c := mustDial(t, srv)
	c.mustBind("gw")
	errc := make(chan error, 1)
	go func() {
		st, err := srv.DeliverUSSD(testCtx(t), smsc.USSD{
			From: "447700900123", To: "123", Text: "*123#", Op: smsc.USSDOpPSSRIndication,
			Session: &pdu.ITSSessionInfo{Session: 0x2A},
		})
		if err == nil && st != pdu.StatusOK {
			err = st
		}
		errc <- err
	}()
	d := readAs[*pdu.DeliverSM](c)
	c.ack(d, pdu.StatusOK)
	if err := <-errc; err != nil {
		t.Fatalf("DeliverUSSD = %v", err)
	}
	if d.ServiceType != "USSD" || string(d.ShortMessage) != "*123#" {
		t.Errorf("ussd deliver_sm = %q %q, want USSD *123#", d.ServiceType, d.ShortMessage)
	}
	if op, ok := d.TLVs.Uint8(pdu.TagUSSDServiceOp); !ok || op != 1 {
		t.Errorf("ussd_service_op = %d, %v, want 1", op, ok)
	}
	if v, _ := d.TLVs.Get(pdu.TagITSSessionInfo); !bytes.Equal(v, []byte{0x2A, 0x00}) {
		t.Errorf("its_session_info = % X, want 2A 00", v)
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Run("unknown command", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.writeRaw(frame(16, 0x00000099, 0, 42))
		n := readAs[*pdu.GenericNack](c)
		if n.Status != pdu.StatusInvCmdID || n.Seq != 42 {
			t.Fatalf("unknown command answer = %v seq %d, want ESME_RINVCMDID seq 42", n.Status, n.Seq)
		}
		// The session goes on.
		seq := c.send(&pdu.EnquireLink{})
		if r := readAs[*pdu.EnquireLinkResp](c); r.Seq != seq {
			t.Errorf("enquire_link_resp seq = %d, want %d", r.Seq, seq)
		}
	})
	for _, tt := range []struct {
		name   string
		length uint32
	}{
		{"length below header", 8},
		{"length above max", 70000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			c := mustDial(t, srv)
			c.writeRaw(frame(tt.length, pdu.EnquireLinkID, 0, 7))
			n := readAs[*pdu.GenericNack](c)
			if n.Status != pdu.StatusInvCmdLen {
				t.Fatalf("bad length answer = %v, want ESME_RINVCMDLEN", n.Status)
			}
			c.expectEOF()
		})
	}
	t.Run("malformed body", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		// submit_sm whose body is cut inside source_addr.
		body := []byte{0, 1, 1, 'I', 'N', 'F', 'O'}
		f := append(frame(uint32(16+len(body)), pdu.SubmitSMID, 0, 9), body...)
		_, decErr := pdu.Decode(f)
		var de *pdu.DecodeError
		if !errors.As(decErr, &de) {
			t.Fatalf("Decode(truncated submit_sm) = %v, want a DecodeError", decErr)
		}
		c.writeRaw(f)
		r := readAs[*pdu.SubmitSMResp](c)
		if r.Seq != 9 || r.Status != de.Status || r.Status == pdu.StatusOK {
			t.Errorf("malformed submit_sm answer = seq %d %v, want seq 9 %v", r.Seq, r.Status, de.Status)
		}
	})
	t.Run("generic_nack recorded", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		c.send(pdu.NewGenericNack(pdu.StatusInvCmdID, 77))
		seq := c.send(&pdu.EnquireLink{}) // orders the nack before the check
		if r := readAs[*pdu.EnquireLinkResp](c); r.Seq != seq {
			t.Fatalf("enquire_link_resp seq = %d, want %d", r.Seq, seq)
		}
		nacks := srv.Nacks()
		if len(nacks) != 1 || nacks[0].Seq != 77 || nacks[0].Status != pdu.StatusInvCmdID || nacks[0].SystemID != "gw" {
			t.Errorf("Nacks() = %+v, want one from gw seq 77 ESME_RINVCMDID", nacks)
		}
	})
}

func TestUnbind(t *testing.T) {
	t.Run("from ESME", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		seq := c.send(&pdu.Unbind{})
		if r := readAs[*pdu.UnbindResp](c); r.Seq != seq || r.Status != pdu.StatusOK {
			t.Fatalf("unbind_resp = seq %d %v, want seq %d ESME_ROK", r.Seq, r.Status, seq)
		}
		c.expectEOF()
	})
	t.Run("from server", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		errc := make(chan error, 1)
		go func() { errc <- srv.Unbind(testCtx(t)) }()
		u := readAs[*pdu.Unbind](c)
		c.send(&pdu.UnbindResp{Header: pdu.Header{ID: pdu.UnbindRespID, Seq: u.Seq}})
		if err := <-errc; err != nil {
			t.Fatalf("Unbind = %v", err)
		}
		c.expectEOF()
	})
}

func TestThrottling(t *testing.T) {
	const thr = pdu.StatusThrottled
	ok := pdu.StatusOK
	tests := []struct {
		name  string
		setup func(*smsc.Server)
		want  []pdu.Status
	}{
		{"every third", func(s *smsc.Server) { s.SetFaults(smsc.Faults{ThrottleEvery: 3}) },
			[]pdu.Status{ok, ok, thr, ok, ok, thr}},
		{"next two", func(s *smsc.Server) { s.ThrottleNext(2) },
			[]pdu.Status{thr, thr, ok, ok}},
		{"fail next with status", func(s *smsc.Server) { s.FailNext(1, pdu.StatusMsgQFull) },
			[]pdu.Status{pdu.StatusMsgQFull, ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			c := mustDial(t, srv)
			c.mustBind("gw")
			tt.setup(srv)
			accepted := 0
			for i, want := range tt.want {
				r := c.submit("x", 0)
				if r.Status != want {
					t.Errorf("submit %d status = %v, want %v", i+1, r.Status, want)
				}
				if r.Status == ok {
					accepted++
				} else if r.MessageID != "" {
					t.Errorf("refused submit %d has message id %q", i+1, r.MessageID)
				}
			}
			if n := len(srv.Submitted()); n != accepted {
				t.Errorf("Submitted() has %d, want %d (refused ones are not recorded)", n, accepted)
			}
		})
	}
}

func TestErrorResponseBody(t *testing.T) {
	for _, body := range []bool{false, true} {
		t.Run(fmt.Sprintf("body=%v", body), func(t *testing.T) {
			srv := newServer(t, func(s *smsc.Server) {
				s.SetFaults(smsc.Faults{SubmitStatus: pdu.StatusSysErr, ErrorBody: body})
			})
			c := mustDial(t, srv)
			c.mustBind("gw")
			c.send(newSubmit("x", 0))
			f := c.readFrame()
			want := 16
			if body {
				want = 17
			}
			if len(f) != want {
				t.Fatalf("error submit_sm_resp length = %d, want %d", len(f), want)
			}
			p, err := pdu.Decode(f)
			if err != nil || p.Hdr().Status != pdu.StatusSysErr {
				t.Fatalf("Decode = %v, %v, want status ESME_RSYSERR", p, err)
			}
		})
	}
}

func TestBindStatusFault(t *testing.T) {
	srv := newServer(t, nil)
	bound := mustDial(t, srv)
	bound.mustBind("gw")
	srv.UpdateFaults(func(f *smsc.Faults) { f.BindStatus = pdu.StatusBindFail })
	c := mustDial(t, srv)
	if st := c.bind(pdu.BindTransceiverID, "gw", "").Status; st != pdu.StatusBindFail {
		t.Fatalf("bind while refused = %v, want ESME_RBINDFAIL", st)
	}
	// The refused connection is not bound; the one bound before still is.
	if r := c.submit("x", 0); r.Status != pdu.StatusInvBindStatus {
		t.Errorf("submit on the refused connection = %v, want ESME_RINVBNDSTS", r.Status)
	}
	if r := bound.submit("still bound", 0); r.Status != pdu.StatusOK {
		t.Errorf("submit on the earlier bind = %v, want ESME_ROK", r.Status)
	}
	srv.UpdateFaults(func(f *smsc.Faults) { f.BindStatus = pdu.StatusOK })
	if st := c.bind(pdu.BindTransceiverID, "gw", "").Status; st != pdu.StatusOK {
		t.Errorf("bind once accepted again = %v, want ESME_ROK", st)
	}
}

func TestResponseFaults(t *testing.T) {
	t.Run("drop submit response", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		srv.UpdateFaults(func(f *smsc.Faults) { f.DropResponses = true })
		c.send(newSubmit("lost", 0))
		if _, err := srv.WaitSubmitted(testCtx(t), 1); err != nil {
			t.Fatalf("WaitSubmitted = %v (a dropped response still records)", err)
		}
		// The submission is recorded before its response is decided: an
		// answered enquire_link shows the submit_sm was handled (frames are
		// handled in order) while the fault was on.
		seq := c.send(&pdu.EnquireLink{})
		if r := readAs[*pdu.EnquireLinkResp](c); r.Seq != seq {
			t.Fatalf("enquire_link_resp seq = %d, want %d", r.Seq, seq)
		}
		srv.UpdateFaults(func(f *smsc.Faults) { f.DropResponses = false })
		if r := c.submit("answered", 0); r.MessageID != "00000002" {
			t.Errorf("next submit id = %q, want 00000002", r.MessageID)
		}
	})
	t.Run("drop enquire_link_resp", func(t *testing.T) {
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		srv.UpdateFaults(func(f *smsc.Faults) { f.DropEnquireLinkResp = true })
		c.send(&pdu.EnquireLink{})
		c.send(newSubmit("x", 0)) // before bind: answered, proves the first was handled
		readAs[*pdu.SubmitSMResp](c)
		srv.SetFaults(smsc.Faults{})
		seq := c.send(&pdu.EnquireLink{})
		if r := readAs[*pdu.EnquireLinkResp](c); r.Seq != seq {
			t.Errorf("enquire_link_resp seq = %d, want %d (the first one dropped)", r.Seq, seq)
		}
	})
	t.Run("delay", func(t *testing.T) {
		const delay = 100 * time.Millisecond
		srv := newServer(t, nil)
		c := mustDial(t, srv)
		c.mustBind("gw")
		srv.SetFaults(smsc.Faults{ResponseDelay: delay})
		start := time.Now()
		c.submit("slow", 0)
		if d := time.Since(start); d < delay {
			t.Errorf("delayed response came after %v, want >= %v", d, delay)
		}
	})
}

func TestWriteModes(t *testing.T) {
	tests := []struct {
		mode smsc.WriteMode
		// writes for 3 enquire_link_resp sent in one client write
		want func(n int64) bool
		desc string
	}{
		{smsc.WriteWhole, func(n int64) bool { return n == 3 }, "3"},
		{smsc.WriteBytewise, func(n int64) bool { return n == 48 }, "48"},
		{smsc.WriteCoalesced, func(n int64) bool { return n == 1 }, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cl := &countingListener{Listener: ln}
			srv := newServer(t, func(s *smsc.Server) { s.Listener = cl })
			c := mustDial(t, srv)
			c.mustBind("gw")
			srv.SetFaults(smsc.Faults{Write: tt.mode})
			before := cl.writes.Load()
			var batch []byte
			for seq := uint32(100); seq < 103; seq++ {
				batch = append(batch, frame(16, pdu.EnquireLinkID, 0, seq)...)
			}
			c.writeRaw(batch)
			for seq := uint32(100); seq < 103; seq++ {
				if r := readAs[*pdu.EnquireLinkResp](c); r.Seq != seq {
					t.Fatalf("enquire_link_resp seq = %d, want %d", r.Seq, seq)
				}
			}
			if n := cl.writes.Load() - before; !tt.want(n) {
				t.Errorf("%v: %d writes for 3 responses, want %s", tt.mode, n, tt.desc)
			}
			// A submit with an immediate receipt still frames correctly.
			r := c.submit("framing", 1)
			d := readAs[*pdu.DeliverSM](c)
			c.ack(d, pdu.StatusOK)
			if id, _ := d.TLVs.CString(pdu.TagReceiptedMessageID); id != r.MessageID {
				t.Errorf("receipt for %q, want %q", id, r.MessageID)
			}
		})
	}
}

func TestSendRawAndSend(t *testing.T) {
	srv := newServer(t, nil)
	c := mustDial(t, srv)
	c.mustBind("gw")
	garbage := []byte{0xde, 0xad, 0xbe, 0xef}
	if err := srv.SendRaw(testCtx(t), garbage); err != nil {
		t.Fatalf("SendRaw = %v", err)
	}
	got := make([]byte, len(garbage))
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.ReadFull(c.br, got); err != nil || !bytes.Equal(got, garbage) {
		t.Fatalf("read = % X, %v, want % X", got, err, garbage)
	}

	// Send an unknown command and get the ESME's generic_nack back.
	type result struct {
		p   pdu.PDU
		err error
	}
	res := make(chan result, 1)
	d := &pdu.DeliverSM{}
	d.TLVs.Set(0x1400, []byte{1, 2, 3}) // vendor TLV
	go func() {
		p, err := srv.Send(testCtx(t), d)
		res <- result{p, err}
	}()
	in := readAs[*pdu.DeliverSM](c)
	if v, ok := in.TLVs.Get(0x1400); !ok || !bytes.Equal(v, []byte{1, 2, 3}) {
		t.Errorf("vendor TLV = % X, %v, want 01 02 03", v, ok)
	}
	c.send(pdu.NewGenericNack(pdu.StatusInvOptParStream, in.Seq))
	r := <-res
	if r.err != nil || r.p.Hdr().ID != pdu.GenericNackID || r.p.Hdr().Status != pdu.StatusInvOptParStream {
		t.Errorf("Send = %v, %v, want generic_nack ESME_RINVOPTPARSTREAM", r.p, r.err)
	}

	// alert_notification has no response: Send returns after the write.
	p, err := srv.Send(testCtx(t), &pdu.AlertNotification{SourceAddr: "447700900123"})
	if p != nil || err != nil {
		t.Errorf("Send(alert_notification) = %v, %v, want nil, nil", p, err)
	}
	readAs[*pdu.AlertNotification](c)
}

func TestHandler(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) {
		s.Handler = func(ctx context.Context, c *smsc.Conn, req pdu.PDU) pdu.PDU {
			if sm, ok := req.(*pdu.SubmitSM); ok {
				switch sm.DestinationAddr {
				case "panic":
					panic("scripted")
				case "reject":
					return pdu.Response(req, pdu.StatusInvDstAddr)
				}
			}
			return s.HandleDefault(ctx, c, req)
		}
	})
	c := mustDial(t, srv)
	c.mustBind("gw") // bind handled by HandleDefault through the Handler
	tests := []struct {
		dest string
		want pdu.Status
	}{
		{"reject", pdu.StatusInvDstAddr},
		{"panic", pdu.StatusSysErr},
		{"447700900123", pdu.StatusOK},
	}
	for _, tt := range tests {
		sm := newSubmit("x", 0)
		sm.DestinationAddr = tt.dest
		c.send(sm)
		if r := readAs[*pdu.SubmitSMResp](c); r.Status != tt.want {
			t.Errorf("submit to %q = %v, want %v", tt.dest, r.Status, tt.want)
		}
	}
	if n := len(srv.Submitted()); n != 1 {
		t.Errorf("Submitted() has %d, want 1", n)
	}
}

func TestRecordsBounded(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) { s.MaxRecords = 2 })
	c := mustDial(t, srv)
	c.mustBind("gw")
	for _, txt := range []string{"a", "b", "c"} {
		c.submit(txt, 0)
	}
	subs := srv.Submitted()
	if len(subs) != 2 || subs[0].MessageID != "00000002" || subs[1].MessageID != "00000003" {
		t.Fatalf("Submitted() = %v, want the last two", subs)
	}
	c.send(&pdu.QuerySM{MessageID: "00000001"})
	if r := readAs[*pdu.QuerySMResp](c); r.Status != pdu.StatusQueryFail {
		t.Errorf("query of an evicted message = %v, want ESME_RQUERYFAIL", r.Status)
	}
	if got, err := srv.WaitSubmitted(testCtx(t), 2); err != nil || len(got) != 2 {
		t.Errorf("WaitSubmitted(2) = %d, %v, want 2, nil", len(got), err)
	}
	if _, err := srv.WaitSubmitted(testCtx(t), 3); err == nil {
		t.Errorf("WaitSubmitted(3) above MaxRecords = nil error, want one")
	}
}

func TestWaitSubmittedContext(t *testing.T) {
	srv := newServer(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := srv.WaitSubmitted(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitSubmitted with nothing submitted = %v, want DeadlineExceeded", err)
	}
}

func TestTimers(t *testing.T) {
	t.Run("session init timeout", func(t *testing.T) {
		srv := newServer(t, func(s *smsc.Server) { s.InitTimeout = 50 * time.Millisecond })
		c := mustDial(t, srv)
		c.expectEOF()
	})
	t.Run("enquire_link answered", func(t *testing.T) {
		srv := newServer(t, func(s *smsc.Server) { s.EnquireLinkInterval = 20 * time.Millisecond })
		c := mustDial(t, srv)
		c.mustBind("gw")
		for range 2 {
			e := readAs[*pdu.EnquireLink](c)
			c.send(&pdu.EnquireLinkResp{Header: pdu.Header{ID: pdu.EnquireLinkRespID, Seq: e.Seq}})
		}
		if n := len(srv.Conns()); n != 1 {
			t.Errorf("Conns() = %d after answered enquire_links, want 1", n)
		}
	})
	t.Run("enquire_link unanswered", func(t *testing.T) {
		srv := newServer(t, func(s *smsc.Server) {
			s.EnquireLinkInterval = 20 * time.Millisecond
			s.EnquireLinkTimeout = 50 * time.Millisecond
		})
		c := mustDial(t, srv)
		c.mustBind("gw")
		readAs[*pdu.EnquireLink](c)
		c.expectEOF()
	})
}

func TestDropConnections(t *testing.T) {
	srv := newServer(t, nil)
	a, b := mustDial(t, srv), mustDial(t, srv)
	a.mustBind("gw")
	b.mustBind("gw")
	if n := srv.DropConnections(); n != 2 {
		t.Errorf("DropConnections() = %d, want 2", n)
	}
	a.expectEOF()
	b.expectEOF()
	// The server still accepts new connections.
	c := mustDial(t, srv)
	c.mustBind("gw")
}

func TestCloseWithClients(t *testing.T) {
	srv := &smsc.Server{}
	srv.Start()
	var clients []*rawClient
	for i := range 5 {
		c := mustDial(t, srv)
		if i%2 == 0 {
			c.mustBind(fmt.Sprintf("gw%d", i))
		}
		clients = append(clients, c)
	}
	// One Deliver in flight that nobody answers.
	errc := make(chan error, 1)
	go func() {
		_, err := srv.DeliverTo(t.Context(), "gw0", &pdu.DeliverSM{})
		errc <- err
	}()
	readAs[*pdu.DeliverSM](clients[0])
	done := make(chan struct{})
	start := time.Now()
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return within 2s with clients connected")
	}
	t.Logf("Close took %v", time.Since(start))
	if err := <-errc; !errors.Is(err, smsc.ErrConnClosed) {
		t.Errorf("Deliver during Close = %v, want ErrConnClosed", err)
	}
	for _, c := range clients {
		c.expectEOF()
	}
	srv.Close() // idempotent
	if _, err := srv.Deliver(t.Context(), &pdu.DeliverSM{}); !errors.Is(err, smsc.ErrServerClosed) {
		t.Errorf("Deliver after Close = %v, want ErrServerClosed", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	srv := newServer(t, func(s *smsc.Server) { s.MaxRecords = 50 })
	const clients, perClient = 4, 25
	var wg sync.WaitGroup
	for i := range clients {
		c := mustDial(t, srv)
		c.mustBind(fmt.Sprintf("gw%d", i))
		wg.Go(func() {
			for range perClient {
				c.send(newSubmit("load", 1))
			}
		})
		wg.Go(func() {
			// Read responses and ack receipts until all are seen.
			resps := 0
			for resps < perClient {
				switch p := c.read().(type) {
				case *pdu.SubmitSMResp:
					resps++
				case *pdu.DeliverSM:
					c.ack(p, pdu.StatusOK)
				}
			}
		})
	}
	// Change faults and read records while traffic flows.
	wg.Go(func() {
		for i := range 20 {
			srv.UpdateFaults(func(f *smsc.Faults) { f.Write = smsc.WriteMode(i % 3) })
			srv.Submitted()
		}
	})
	wg.Wait()
	if _, err := srv.WaitSubmitted(testCtx(t), 50); err != nil {
		t.Fatalf("WaitSubmitted = %v", err)
	}
	if n := len(srv.Submitted()); n != 50 {
		t.Errorf("Submitted() = %d, want 50 (MaxRecords)", n)
	}
}

func TestCloseWaitsForHandler(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &smsc.Server{}
	srv.Handler = func(ctx context.Context, c *smsc.Conn, req pdu.PDU) pdu.PDU {
		if _, ok := req.(*pdu.SubmitSM); ok {
			close(entered)
			<-release
		}
		return srv.HandleDefault(ctx, c, req)
	}
	srv.Start()
	c := mustDial(t, srv)
	c.mustBind("gw")
	c.send(newSubmit("x", 0))
	<-entered
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a Handler was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(ioTimeout):
		t.Fatal("Close did not return after the Handler finished")
	}
}

func TestReceiptDelay(t *testing.T) {
	const delay = 30 * time.Millisecond
	srv := newServer(t, func(s *smsc.Server) {
		s.ReceiptDelay = delay
		s.Now = fixedNow // the clock stands still; the delay runs in real time
	})
	c := mustDial(t, srv)
	c.mustBind("gw")
	start := time.Now()
	id := c.submit("later", 1).MessageID
	d := readAs[*pdu.DeliverSM](c)
	if el := time.Since(start); el < delay {
		t.Errorf("receipt after %v, want >= %v", el, delay)
	}
	c.ack(d, pdu.StatusOK)
	if !strings.Contains(string(d.ShortMessage), "done date:2401151230 stat:DELIVRD") {
		t.Errorf("receipt text = %q, want done date from Now and DELIVRD", d.ShortMessage)
	}
	c.send(&pdu.QuerySM{MessageID: id})
	if r := readAs[*pdu.QuerySMResp](c); r.MessageState != uint8(smsc.StateDelivered) {
		t.Errorf("query_sm after receipt = state %d, want DELIVERED", r.MessageState)
	}
}

func TestSubmissionTextUDH(t *testing.T) {
	srv := newServer(t, nil)
	c := mustDial(t, srv)
	c.mustBind("gw")
	sm := newSubmit("", 0)
	sm.ESMClass = pdu.ESMUDHI
	sm.ShortMessage = append([]byte{0x05, 0x00, 0x03, 0xA7, 0x02, 0x01}, "Hello from part one "...)
	c.send(sm)
	readAs[*pdu.SubmitSMResp](c)
	subs := srv.Submitted()
	if len(subs) != 1 {
		t.Fatalf("Submitted() has %d, want 1", len(subs))
	}
	if got, err := subs[0].Text(); err != nil || got != "Hello from part one " {
		t.Errorf("Text() = %q, %v, want %q", got, err, "Hello from part one ")
	}
	if ud := subs[0].UserData(); len(ud) != 26 {
		t.Errorf("UserData() has %d octets, want 26 (UDH included)", len(ud))
	}
}

func TestWaitBoundAndConnClose(t *testing.T) {
	srv := newServer(t, nil)
	got := make(chan *smsc.Conn, 1)
	go func() {
		conn, err := srv.WaitBound(testCtx(t), "late")
		if err != nil {
			conn = nil
		}
		got <- conn
	}()
	other := mustDial(t, srv)
	other.mustBind("early")
	c := mustDial(t, srv)
	c.mustBind("late")
	conn := <-got
	if conn == nil || conn.SystemID() != "late" || conn.Mode() != smsc.BindTransceiver {
		t.Fatalf("WaitBound(late) = %v, want the transceiver bound as late", conn)
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("Conn.Close() = %v", err)
	}
	<-conn.Done()
	c.expectEOF()
	if m := conn.Mode(); m != smsc.BindNone {
		t.Errorf("Mode() after Close = %v, want none", m)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := srv.WaitBound(ctx, "never"); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitBound with canceled ctx = %v, want context.Canceled", err)
	}
}
