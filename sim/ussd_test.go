package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
)

// ussdIn is a USSD message the gateway received from the network.
type ussdIn struct {
	from, to, text string
	op             uint8
	info           pdu.ITSSessionInfo
	hasInfo        bool
}

// ussdAnswer is how the fake gateway answers one USSD message.
type ussdAnswer struct {
	text    string
	end     bool
	none    bool                // no screen
	sms     string              // an SMS sent after the screen
	noOp    bool                // no ussd_service_op (service_type mode)
	noInfo  bool                // no its_session_info
	session *pdu.ITSSessionInfo // its_session_info to send instead of the echo
}

// ussdGateway plays the ESME side of USSD: it records every USSD message
// and answers it with answer(in); releases (op 0x81, the end bit) get no
// answer.
type ussdGateway struct {
	c      *smpp.Client
	answer func(in ussdIn) ussdAnswer

	mu  sync.Mutex
	got []ussdIn
}

func (g *ussdGateway) received() []ussdIn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]ussdIn(nil), g.got...)
}

// waitReceived waits until the gateway has received n USSD messages.
func (g *ussdGateway) waitReceived(t *testing.T, n int) []ussdIn {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got := g.received(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the gateway received %d USSD messages, want %d: %+v", len(g.received()), n, g.received())
	return nil
}

// startUSSD starts a simulator with a bound USSD gateway.
func startUSSD(t *testing.T, o sim.Options, answer func(ussdIn) ussdAnswer) (*sim.Simulator, *ussdGateway) {
	t.Helper()
	srv := smpptest.NewUnstartedServer()
	srv.Logger = slog.New(slog.DiscardHandler)
	ps := sim.New(srv, o)
	srv.Start()
	t.Cleanup(srv.Close)
	g := &ussdGateway{answer: answer}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr: srv.Addr(), SystemID: "gw", Logger: slog.New(slog.DiscardHandler),
		Handler: smpp.HandlerFunc(func(_ context.Context, p pdu.PDU) error {
			d, ok := p.(*pdu.DeliverSM)
			if !ok || d.ESMClass.IsReceipt() {
				return nil
			}
			op, isUSSD := d.TLVs.Uint8(pdu.TagUSSDServiceOp)
			if !isUSSD {
				return pdu.StatusXRAppn // this gateway takes USSD only
			}
			msg, _ := text.Decode(d.DataCoding, d.ShortMessage, text.Options{})
			in := ussdIn{from: d.SourceAddr, to: d.DestinationAddr, text: msg, op: op}
			in.info, in.hasInfo = d.TLVs.ITSSessionInfo()
			g.mu.Lock()
			g.got = append(g.got, in)
			g.mu.Unlock()
			if op == 0x81 || in.info.End {
				return nil
			}
			a := g.answer(in)
			go g.send(ctx, t, in, a)
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	g.c = c
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if _, err := srv.WaitBound(wctx, "gw"); err != nil {
		t.Fatal(err)
	}
	return ps, g
}

// send answers in with a: a screen as submit_sm service_type USSD, op 2
// (continue) or 17 (end), echoing the session number with the next
// sequence; then the SMS, if any.
func (g *ussdGateway) send(ctx context.Context, t *testing.T, in ussdIn, a ussdAnswer) {
	if !a.none {
		sm := &pdu.SubmitSM{}
		sm.ServiceType = "USSD"
		sm.SourceAddr, sm.DestinationAddr = in.to, in.from
		sm.ShortMessage = []byte(a.text)
		if !a.noOp {
			op := uint8(2)
			if a.end {
				op = 17
			}
			sm.TLVs.SetUint8(pdu.TagUSSDServiceOp, op)
		}
		switch {
		case a.session != nil:
			sm.TLVs.SetITSSessionInfo(*a.session)
		case !a.noInfo && in.hasInfo:
			sm.TLVs.SetITSSessionInfo(pdu.ITSSessionInfo{Session: in.info.Session, Sequence: in.info.Sequence + 1, End: a.end})
		}
		if _, err := g.c.Submit(ctx, sm); err != nil && ctx.Err() == nil {
			t.Errorf("USSD gateway: submit screen: %v", err)
		}
	}
	if a.sms != "" {
		tmpl := &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: "3355", DestinationAddr: in.from}}
		if _, err := g.c.SubmitText(ctx, tmpl, a.sms); err != nil && ctx.Err() == nil {
			t.Errorf("USSD gateway: submit SMS: %v", err)
		}
	}
}

// menu answers like the gateway's menu: the dial gets the menu, "9" ends
// with a result and an SMS, anything else continues.
func menu(in ussdIn) ussdAnswer {
	switch {
	case in.op == 1:
		return ussdAnswer{text: "i-Pay\n1 Isi saldo\n00 Keluar"}
	case in.text == "9":
		return ussdAnswer{text: "BERHASIL", end: true, sms: "Isi ulang BERHASIL"}
	}
	return ussdAnswer{text: "screen after " + in.text}
}

func ussdCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A dialogue: the dial goes as a PSSR indication with a new session
// number and sequence 0, each input as a USSR confirm with the sequence
// after the gateway's; USSR requests are screens that wait for input, the
// PSSR response with the end bit ends the session. None of it is an SMS
// of the thread; the gateway's result SMS is.
func TestUSSDDialogue(t *testing.T) {
	ps, g := startUSSD(t, sim.Options{}, menu)
	ctx := ussdCtx(t)
	sc, err := ps.DialUSSD(ctx, "08110000001", "*9779#")
	if err != nil {
		t.Fatalf("DialUSSD() = %v", err)
	}
	if sc.End || !strings.Contains(sc.Text, "1 Isi saldo") || sc.Code != "9779" || sc.MSISDN != "628110000001" {
		t.Fatalf("first screen %+v, want the menu, open", sc)
	}
	in := g.waitReceived(t, 1)[0]
	if in.op != 1 || in.text != "*9779#" || in.to != "9779" || in.from != "08110000001" || !in.hasInfo ||
		int(in.info.Session) != sc.Session || in.info.Sequence != 0 || in.info.End {
		t.Errorf("dial as received %+v, want PSSR indication *9779# to 9779, session %d sequence 0", in, sc.Session)
	}
	for i, input := range []string{"1", "08110000002"} {
		sc, err = ps.AnswerUSSD(ctx, "628110000001", input)
		if err != nil || sc.End || sc.Text != "screen after "+input {
			t.Fatalf("AnswerUSSD(%q) = %+v, %v", input, sc, err)
		}
		in = g.waitReceived(t, i+2)[i+1]
		if want := uint8(2 * (i + 1)); in.op != 18 || in.text != input || int(in.info.Session) != sc.Session || in.info.Sequence != want || in.info.End {
			t.Errorf("input %q as received %+v, want USSR confirm, sequence %d", input, in, want)
		}
	}
	sc, err = ps.AnswerUSSD(ctx, "08110000001", "9")
	if err != nil || !sc.End || sc.Text != "BERHASIL" || sc.Reason != "" {
		t.Fatalf("last screen %+v, %v, want the end with the gateway's text", sc, err)
	}
	if last, ok := ps.USSD("08110000001"); !ok || last != sc {
		t.Errorf("USSD() = %+v %v, want the last screen", last, ok)
	}
	var sce *sim.USSDSessionError
	if _, err := ps.AnswerUSSD(ctx, "08110000001", "1"); !errors.As(err, &sce) || !strings.Contains(err.Error(), "ended") {
		t.Errorf("AnswerUSSD after the end = %v, want a session error", err)
	}
	m := waitThread(t, ps, 0, "08110000001", isMT)
	if m.Text != "Isi ulang BERHASIL" || m.Code != "3355" {
		t.Errorf("thread MT %+v, want the result SMS", m)
	}
	msgs, _, _ := ps.Thread(0, "08110000001")
	if len(msgs) != 1 {
		t.Errorf("thread %+v, want only the result SMS (USSD is not SMS)", msgs)
	}
	if len(g.received()) != 4 {
		t.Errorf("the gateway received %+v, want no release after its own end", g.received())
	}
}

// Every dialogue has its own session number; a new dial releases the
// subscriber's open session first.
func TestUSSDSessionNumbers(t *testing.T) {
	ps, g := startUSSD(t, sim.Options{}, menu)
	ctx := ussdCtx(t)
	a, err := ps.DialUSSD(ctx, "08110000001", "*9779#")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ps.DialUSSD(ctx, "08110000002", "*9779#")
	if err != nil {
		t.Fatal(err)
	}
	if a.Session == b.Session {
		t.Errorf("two dialogues with session number %d", a.Session)
	}
	c, err := ps.DialUSSD(ctx, "08110000001", "*9779*1#")
	if err != nil {
		t.Fatal(err)
	}
	if c.Session == a.Session || c.Session == b.Session {
		t.Errorf("a new dialogue reuses an open session number: %d (%d, %d)", c.Session, a.Session, b.Session)
	}
	got := g.waitReceived(t, 4)
	rel := got[2]
	if rel.op != 0x81 || int(rel.info.Session) != a.Session || !rel.info.End || rel.info.Sequence != 2 {
		t.Errorf("before the new dial: %+v, want the release of session %d with the end bit", rel, a.Session)
	}
	if got[3].op != 1 || got[3].text != "*9779*1#" || int(got[3].info.Session) != c.Session {
		t.Errorf("new dial %+v", got[3])
	}
	// The other subscriber's session is untouched.
	if sc, err := ps.AnswerUSSD(ctx, "08110000002", "1"); err != nil || sc.End {
		t.Errorf("other session: %+v %v", sc, err)
	}
}

// A session without input for the timeout is released by the network:
// the gateway gets op 0x81 with the end bit and the phone the end.
func TestUSSDTimeout(t *testing.T) {
	ps, g := startUSSD(t, sim.Options{USSDTimeout: 300 * time.Millisecond}, menu)
	ctx := ussdCtx(t)
	sc, err := ps.DialUSSD(ctx, "08110000001", "*9779#")
	if err != nil {
		t.Fatal(err)
	}
	// Inputs keep it open past the timeout.
	for range 3 {
		time.Sleep(150 * time.Millisecond)
		if _, err := ps.AnswerUSSD(ctx, "08110000001", "1"); err != nil {
			t.Fatalf("input within the timeout: %v", err)
		}
	}
	got := g.waitReceived(t, 5)
	rel := got[4]
	if rel.op != 0x81 || int(rel.info.Session) != sc.Session || !rel.info.End {
		t.Errorf("after the timeout the gateway got %+v, want a release", rel)
	}
	last, ok := ps.USSD("08110000001")
	if !ok || !last.End || last.Reason != sim.USSDTimeout {
		t.Errorf("USSD() = %+v, want the end by timeout", last)
	}
	var sce *sim.USSDSessionError
	if _, err := ps.AnswerUSSD(ctx, "08110000001", "1"); !errors.As(err, &sce) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("AnswerUSSD after the timeout = %v", err)
	}
}

// Hanging up sends a release; dropping sends nothing; either ends the
// session on the phone.
func TestUSSDCancelAndDrop(t *testing.T) {
	ps, g := startUSSD(t, sim.Options{}, menu)
	ctx := ussdCtx(t)
	sc, err := ps.DialUSSD(ctx, "08110000001", "*9779#")
	if err != nil {
		t.Fatal(err)
	}
	end, err := ps.CancelUSSD(ctx, "08110000001", false)
	if err != nil || !end.End || end.Reason != sim.USSDCancelled || end.Session != sc.Session {
		t.Fatalf("CancelUSSD() = %+v, %v", end, err)
	}
	rel := g.waitReceived(t, 2)[1]
	if rel.op != 0x81 || int(rel.info.Session) != sc.Session || !rel.info.End || rel.info.Sequence != 2 {
		t.Errorf("release %+v", rel)
	}
	var sce *sim.USSDSessionError
	if _, err := ps.CancelUSSD(ctx, "08110000001", false); !errors.As(err, &sce) {
		t.Errorf("second CancelUSSD() = %v, want a session error", err)
	}

	if _, err := ps.DialUSSD(ctx, "08110000001", "*9779#"); err != nil {
		t.Fatal(err)
	}
	end, err = ps.CancelUSSD(ctx, "08110000001", true)
	if err != nil || !end.End || end.Reason != sim.USSDDropped {
		t.Fatalf("CancelUSSD(drop) = %+v, %v", end, err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := g.received(); len(got) != 3 {
		t.Errorf("the gateway received %+v after a drop, want nothing after the dial", got[2:])
	}
}

// A gateway that does not answer in time: the network releases the
// session and the call fails with the ended screen.
func TestUSSDNoAnswer(t *testing.T) {
	ps, g := startUSSD(t, sim.Options{USSDAnswerWait: 200 * time.Millisecond}, func(ussdIn) ussdAnswer { return ussdAnswer{none: true} })
	sc, err := ps.DialUSSD(ussdCtx(t), "08110000001", "*9779#")
	if !errors.Is(err, sim.ErrUSSDNoAnswer) || !sc.End || sc.Reason != sim.USSDNoAnswer {
		t.Fatalf("DialUSSD() = %+v, %v, want no answer", sc, err)
	}
	if rel := g.waitReceived(t, 2)[1]; rel.op != 0x81 || !rel.info.End {
		t.Errorf("after no answer the gateway got %+v, want a release", rel)
	}
}

// Screens are matched to their session: one for a session number that is
// not open is dropped; one without its_session_info goes to the
// subscriber's session; the end bit alone (no operation TLV) ends it.
func TestUSSDScreenMatching(t *testing.T) {
	var stray sync.Once
	ps, _ := startUSSD(t, sim.Options{USSDAnswerWait: 2 * time.Second}, func(in ussdIn) ussdAnswer {
		switch in.text {
		case "stray":
			var a ussdAnswer
			stray.Do(func() {
				a = ussdAnswer{text: "not yours", session: &pdu.ITSSessionInfo{Session: in.info.Session + 100, Sequence: 1}}
			})
			return a
		case "noinfo":
			return ussdAnswer{text: "matched by number", noInfo: true}
		case "endbit":
			return ussdAnswer{text: "bye", end: true, noOp: true}
		}
		return menu(in)
	})
	ctx := ussdCtx(t)
	if _, err := ps.DialUSSD(ctx, "08110000001", "*9779#"); err != nil {
		t.Fatal(err)
	}
	sc, err := ps.AnswerUSSD(ctx, "08110000001", "noinfo")
	if err != nil || sc.Text != "matched by number" || sc.End {
		t.Fatalf("screen without session info: %+v %v", sc, err)
	}
	sc, err = ps.AnswerUSSD(ctx, "08110000001", "endbit")
	if err != nil || sc.Text != "bye" || !sc.End {
		t.Fatalf("screen with the end bit only: %+v %v", sc, err)
	}
	if _, err := ps.DialUSSD(ctx, "08110000001", "*9779#"); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if sc, err := ps.AnswerUSSD(ctx2, "08110000001", "stray"); !errors.Is(err, sim.ErrUSSDNoAnswer) {
		t.Errorf("a screen for another session number was taken: %+v %v", sc, err)
	}
	if msgs, _, _ := ps.Thread(0, ""); len(msgs) != 0 {
		t.Errorf("USSD screens in the SMS thread: %+v", msgs)
	}
}

func TestUSSDNoGateway(t *testing.T) {
	ps := startSimulator(t, sim.Options{}, nil)
	sc, err := ps.DialUSSD(ussdCtx(t), "08110000001", "*9779#")
	if !errors.Is(err, sim.ErrNoGateway) || !sc.End || sc.Reason != sim.USSDFailed {
		t.Errorf("DialUSSD() without a gateway = %+v, %v", sc, err)
	}
	if _, err := ps.DialUSSD(ussdCtx(t), "08110000001", "9779"); err == nil {
		t.Error("DialUSSD(9779) accepted a dial string without * and #")
	}
}

// The API: dial, answer and cancel over HTTP, the state, and bad input
// answered 400 naming the field, state errors 409.
func TestUSSDAPI(t *testing.T) {
	ps, _ := startUSSD(t, sim.Options{}, menu)
	h := newHandler(t, ps, sim.HandlerOptions{ShortCodes: []string{"9779"}, USSDCodes: []string{"9779"}, Logger: slog.New(slog.DiscardHandler)})
	if got := h.USSDCodes(); len(got) != 1 || got[0] != "9779" {
		t.Errorf("USSDCodes() = %v", got)
	}
	for _, tt := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/sim/ussd/dial", `{"msisdn":"","dial":"*9779#"}`, 400, "msisdn is required"},
		{"/sim/ussd/dial", `{"msisdn":"12345","dial":"*9779#"}`, 400, "not an Indonesian mobile number"},
		{"/sim/ussd/dial", `{"msisdn":"08110000001"}`, 400, "dial is required"},
		{"/sim/ussd/dial", `{"msisdn":"08110000001","dial":"9779"}`, 400, "is not a USSD code"},
		{"/sim/ussd/dial", `{"msisdn":"08110000001","dial":"*12a#"}`, 400, "is not a USSD code"},
		{"/sim/ussd/dial", `{"msisdn":"08110000001","dial":"*123#"}`, 400, "*123# is not a USSD service of this gateway: dial *9779#"},
		{"/sim/ussd/dial", `{"msisdn":"08110000001","dial":"*9779#","x":1}`, 400, "unknown field"},
		{"/sim/ussd/answer", `{"msisdn":"08110000001","text":"  "}`, 400, "text is required"},
		{"/sim/ussd/answer", `{"msisdn":"08110000001","text":"` + strings.Repeat("1", 183) + `"}`, 400, "text is too long: 183 characters, at most 182"},
		{"/sim/ussd/answer", `{"msisdn":"08110000001","text":"1"}`, 409, "no USSD session is open"},
		{"/sim/ussd/cancel", `{"msisdn":"08110000001"}`, 409, "no USSD session is open"},
	} {
		rec := do(h, http.MethodPost, tt.path, "application/json", tt.body)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("POST %s %s = %d %s, want %d with %q", tt.path, tt.body, rec.Code, rec.Body, tt.status, tt.want)
		}
	}
	if rec := do(h, http.MethodPost, "/sim/ussd/dial", "text/plain", "*9779#"); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("dial as text/plain = %d", rec.Code)
	}
	if rec := do(h, http.MethodGet, "/sim/ussd?msisdn=08110000001", "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("state before a dial = %d", rec.Code)
	}

	var resp sim.USSDResponse
	post := func(path, body string, status int) {
		t.Helper()
		rec := do(h, http.MethodPost, path, "application/json", body)
		resp = sim.USSDResponse{}
		if rec.Code != status {
			t.Fatalf("POST %s %s = %d %s, want %d", path, body, rec.Code, rec.Body, status)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
	}
	post("/sim/ussd/dial", `{"msisdn":"08110000001","dial":" *9779# "}`, 200)
	if resp.Screen == nil || resp.Screen.End || !strings.Contains(resp.Screen.Text, "Isi saldo") {
		t.Fatalf("dial = %+v", resp)
	}
	post("/sim/ussd/answer", `{"msisdn":"08110000001","text":"1"}`, 200)
	if resp.Screen == nil || resp.Screen.Text != "screen after 1" {
		t.Fatalf("answer = %+v", resp)
	}
	rec := do(h, http.MethodGet, "/sim/ussd?msisdn=08110000001", "", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "screen after 1") {
		t.Errorf("state = %d %s", rec.Code, rec.Body)
	}
	post("/sim/ussd/cancel", `{"msisdn":"08110000001"}`, 200)
	if resp.Screen == nil || !resp.Screen.End || resp.Screen.Reason != sim.USSDCancelled {
		t.Fatalf("cancel = %+v", resp)
	}
	rec = do(h, http.MethodPost, "/sim/ussd/answer", "application/json", `{"msisdn":"08110000001","text":"1"}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "ended") {
		t.Errorf("answer after cancel = %d %s", rec.Code, rec.Body)
	}
}

// Without USSD codes the endpoints are not served; with codes the backend
// must have USSD.
func TestUSSDAPIOff(t *testing.T) {
	h := newHandler(t, &fakeBackend{}, testOptions)
	if rec := do(h, http.MethodPost, "/sim/ussd/dial", "application/json", `{"msisdn":"08110000001","dial":"*9779#"}`); rec.Code != http.StatusNotFound {
		t.Errorf("dial without USSD = %d", rec.Code)
	}
	o := testOptions
	o.USSDCodes = []string{"9779"}
	if _, err := sim.NewHandler(&fakeBackend{}, o); err == nil {
		t.Error("NewHandler accepted USSD codes for a backend without USSD")
	}
}
