package esme_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

const (
	customer = "08110000002"
	request  = "9779"
	pinCode  = "3355"
)

// fakeGateway is an esme.Gateway whose methods call the function fields
// (nil accepts). It is no esme.PartGateway, so concatenated MOs are
// reassembled in memory.
type fakeGateway struct {
	mo      func(context.Context, smsgw.MO) error
	receipt func(context.Context, smsgw.Receipt) error
}

func (g *fakeGateway) HandleMO(ctx context.Context, mo smsgw.MO) error {
	if g.mo == nil {
		return nil
	}
	return g.mo(ctx, mo)
}

func (g *fakeGateway) HandleReceipt(ctx context.Context, r smsgw.Receipt) error {
	if g.receipt == nil {
		return nil
	}
	return g.receipt(ctx, r)
}

// moRecorder records the MOs a fakeGateway accepts.
type moRecorder struct {
	mu  sync.Mutex
	mos []smsgw.MO
}

func (r *moRecorder) handle(_ context.Context, mo smsgw.MO) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mos = append(r.mos, mo)
	return nil
}

func (r *moRecorder) all() []smsgw.MO {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.mos)
}

func newSMSC(t *testing.T, textOpts text.Options) *smpptest.Server {
	t.Helper()
	srv := smpptest.NewUnstartedServer()
	srv.Text = textOpts
	srv.MaxRecords = 2000
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// bindTo returns the options of a bind named name to srv.
func bindTo(srv *smpptest.Server, name string) esme.BindOptions {
	return esme.BindOptions{
		Name: name,
		Client: smpp.ClientOptions{
			Addr: srv.Addr(), SystemID: name,
			BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond,
		},
	}
}

// runESME starts an ESME for gw with o and waits until srv sees its binds
// bound. stop ends it (cancel Run, then Close) and waits until the SMSC
// has seen its connections close; it also runs at cleanup.
func runESME(t *testing.T, srv *smpptest.Server, gw esme.Gateway, o esme.Options) (e *esme.ESME, stop func()) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := esme.New(o)
	if err != nil {
		t.Fatalf("esme.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, gw) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run() = %v", err)
			}
			e.Close()
			for _, c := range srv.Conns() {
				select {
				case <-c.Done():
				case <-time.After(5 * time.Second):
					t.Error("SMSC still holds a connection of the stopped ESME")
				}
			}
		})
	}
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer wcancel()
	for _, b := range o.Binds {
		if b.Client.Addr != srv.Addr() {
			continue // another SMSC's
		}
		if _, err := srv.WaitBound(wctx, b.Client.SystemID); err != nil {
			t.Fatalf("bind %s: %v", b.Name, err)
		}
	}
	// The client counts itself bound once it has read the bind response.
	eventually(t, "binds up", func() bool {
		return !slices.ContainsFunc(e.Status(), func(s esme.BindStatus) bool { return !s.Bound })
	})
	return e, stop
}

// deliver sends d and returns the ESME's status.
func deliver(t *testing.T, srv *smpptest.Server, d *pdu.DeliverSM) pdu.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	st, err := srv.Deliver(ctx, d)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return st
}

// reconnect drops the SMSC's connections, as after a network failure, and
// waits until systemID is bound again.
func reconnect(t *testing.T, srv *smpptest.Server, systemID string) {
	t.Helper()
	conns := srv.Conns()
	srv.DropConnections()
	for _, c := range conns {
		<-c.Done()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := srv.WaitBound(ctx, systemID); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or 5s have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// flakyStore fails every Update while failing is set.
type flakyStore struct {
	smsgw.Store
	failing atomic.Bool
}

func (s *flakyStore) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	if s.failing.Load() {
		return errors.New("database is locked")
	}
	return s.Store.Update(ctx, fn)
}

// lateSender sends through the ESME once it exists.
type lateSender struct{ e atomic.Pointer[esme.ESME] }

func (s *lateSender) Send(ctx context.Context, m smsgw.MT) ([]string, error) {
	e := s.e.Load()
	if e == nil {
		return nil, errors.New("no ESME yet")
	}
	return e.Send(ctx, m)
}

// realGateway is a smsgw.Gateway on an SQLite file, sending through sender.
type realGateway struct {
	gw    *smsgw.Gateway
	db    *sqlite.Store
	store *flakyStore
}

func openGateway(t *testing.T, path string, sender smsgw.Sender) *realGateway {
	t.Helper()
	var fs *flakyStore
	db, gw := sqlitetest.Open(t, smsgwtest.WithPath(path), smsgwtest.WithSender(sender),
		smsgwtest.WithCodes(request, pinCode), smsgwtest.WithOptions(func(o *smsgw.Options) {
			fs = &flakyStore{Store: o.Store}
			o.Store = fs
		}))
	return &realGateway{gw: gw, db: db, store: fs}
}

// messages lists SMS log rows in direction dir, oldest first.
func (g *realGateway) messages(t *testing.T, dir string) []smsgw.Message {
	t.Helper()
	var ms []smsgw.Message
	if err := g.db.View(t.Context(), func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Direction: dir, Limit: 1000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ms)
	return ms
}

func (g *realGateway) texts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range g.messages(t, smsgw.DirIn) {
		out = append(out, m.Text)
	}
	return out
}

func (g *realGateway) waitingParts(t *testing.T) int {
	t.Helper()
	var n int
	if err := g.db.View(t.Context(), func(tx smsgw.Tx) (err error) {
		n, err = tx.MOPartMessages()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMOAcknowledgedOnlyAfterStored(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), &lateSender{})
	runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	ds, err := srv.TextPDUs(customer, request, "SALDO", nil)
	if err != nil {
		t.Fatal(err)
	}
	g.store.failing.Store(true)
	if st := deliver(t, srv, ds[0]); st != pdu.StatusXTAppn {
		t.Errorf("deliver while the store fails = %v, want ESME_RX_T_APPN", st)
	}
	if got := g.texts(t); len(got) != 0 {
		t.Fatalf("SMS log after a failed store = %q, want empty", got)
	}
	// The SMSC delivers it again later, over a new connection.
	g.store.failing.Store(false)
	reconnect(t, srv, "a")
	if st := deliver(t, srv, ds[0]); st != pdu.StatusOK {
		t.Errorf("redelivery = %v, want ESME_ROK", st)
	}
	if got := g.texts(t); !slices.Equal(got, []string{"SALDO"}) {
		t.Errorf("SMS log = %q, want [SALDO]", got)
	}
}

func TestMOStatusFollowsHandler(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	gw := &fakeGateway{mo: func(_ context.Context, mo smsgw.MO) error {
		switch mo.Text {
		case "slow":
			close(entered)
			<-release
			return nil
		case "fail":
			return errors.New("store down")
		case "busy":
			return smsgw.Errorf(smsgw.EBusy, "backlog full")
		case "panic":
			panic("handler bug")
		}
		return nil
	}}
	runESME(t, srv, gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	for _, tc := range []struct {
		text string
		want pdu.Status
	}{{"fail", pdu.StatusXTAppn}, {"busy", pdu.StatusThrottled}, {"panic", pdu.StatusXTAppn}, {"ok", pdu.StatusOK}} {
		ds, err := srv.TextPDUs(customer, request, tc.text, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st := deliver(t, srv, ds[0]); st != tc.want {
			t.Errorf("deliver(%q) = %v, want %v", tc.text, st, tc.want)
		}
	}
	// The response waits for HandleMO to return.
	ds, err := srv.TextPDUs(customer, request, "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan pdu.Status, 1)
	go func() {
		st, _ := srv.Deliver(context.Background(), ds[0])
		got <- st
	}()
	<-entered
	select {
	case st := <-got:
		t.Fatalf("deliver_sm answered %v while HandleMO was still running", st)
	case <-time.After(100 * time.Millisecond): // a bounded observation window
	}
	close(release)
	if st := <-got; st != pdu.StatusOK {
		t.Errorf("deliver(slow) = %v, want ESME_ROK", st)
	}
}

// A long text built to need three parts in every encoding used below.
const longText = "BANTUAN saya ingin tahu cara isi ulang i-Pay lewat SMS, berapa nominal yang tersedia, " +
	"berapa lama PIN berlaku, dan bagaimana cara membatalkan permintaan yang sudah terkirim ke 9779 kemarin sore. " +
	"Apakah saya bisa mengisi saldo untuk nomor keluarga saya yang lain, dan apakah ada biaya tambahan? " +
	"Terima kasih banyak atas bantuannya, semoga layanan ini tetap lancar setiap hari."

func TestConcatenatedMOReassembly(t *testing.T) {
	ucs2 := "BANTUAN 🙏 Saya sudah kirim IM2PAY tapi belum ada balasan — mohon dicek ya, terima kasih 😊 " +
		"nomor saya 0811-0000-002, pesan ini dikirim dari ponsel baru."
	tests := []struct {
		name     string
		text     string
		concat   text.Concat
		textOpts text.Options
		reverse  bool
	}{
		{"udh8", longText + " (udh8)", text.ConcatUDH8, text.Options{}, false},
		{"udh16", longText + " (udh16)", text.ConcatUDH16, text.Options{}, false},
		{"sar", longText + " (sar)", text.ConcatSAR, text.Options{}, false},
		{"reverse order", longText + " (reverse)", text.ConcatUDH8, text.Options{}, true},
		{"ucs2 with surrogate pairs", ucs2, text.ConcatUDH16, text.Options{}, true},
		{"packed gsm7", longText + " (packed)", text.ConcatUDH8, text.Options{Packed: true, DropZeroPad: true}, false},
		{"message_payload", longText + " (payload)", text.ConcatPayload, text.Options{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSMSC(t, tc.textOpts)
			g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), &lateSender{})
			b := bindTo(srv, "a")
			b.Text = tc.textOpts
			runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{b}})
			ds, err := srv.TextPDUs(customer, request, tc.text, &smpptest.TextOptions{Concat: tc.concat})
			if err != nil {
				t.Fatal(err)
			}
			if tc.concat != text.ConcatPayload && len(ds) < 2 {
				t.Fatalf("the text went in %d part(s), want a concatenated message", len(ds))
			}
			if tc.reverse {
				slices.Reverse(ds)
			}
			for i, d := range ds {
				if st := deliver(t, srv, d); st != pdu.StatusOK {
					t.Fatalf("part %d: status %v, want ESME_ROK", i+1, st)
				}
				if i < len(ds)-1 {
					// Acknowledged parts are in the database, not the SMS log yet.
					if n := g.waitingParts(t); n != 1 {
						t.Errorf("after part %d: %d messages waiting for parts, want 1", i+1, n)
					}
					if got := g.texts(t); len(got) != 0 {
						t.Errorf("after part %d: SMS log %q, want empty", i+1, got)
					}
				}
			}
			if got := g.texts(t); !slices.Equal(got, []string{tc.text}) {
				t.Errorf("SMS log = %q,\nwant [%q]", got, tc.text)
			}
			if n := g.waitingParts(t); n != 0 {
				t.Errorf("%d messages still waiting for parts", n)
			}
		})
	}
}

// A Gateway that cannot store parts gets them reassembled in memory.
func TestConcatenatedMOInMemory(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	rec := &moRecorder{}
	runESME(t, srv, &fakeGateway{mo: rec.handle}, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	ds, err := srv.TextPDUs(customer, request, longText, &smpptest.TextOptions{Concat: text.ConcatUDH8})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ds)
	for i, d := range ds {
		if st := deliver(t, srv, d); st != pdu.StatusOK {
			t.Fatalf("part %d: status %v", i+1, st)
		}
		if n := len(rec.all()); i < len(ds)-1 && n != 0 {
			t.Fatalf("HandleMO called %d times before the last part", n)
		}
	}
	if mos := rec.all(); len(mos) != 1 || mos[0].Text != longText || mos[0].Channel != smsgw.ChannelSMS || mos[0].Link == "" {
		t.Errorf("HandleMO got %+v, want one SMS with the whole text and a link", mos)
	}
}

// Parts acknowledged before a restart complete their message afterwards.
func TestConcatenatedMOSurvivesRestart(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	path := filepath.Join(t.TempDir(), "gw.db")
	ds, err := srv.TextPDUs(customer, request, longText, &smpptest.TextOptions{Concat: text.ConcatUDH16})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 {
		t.Fatalf("%d parts, want 3", len(ds))
	}
	g1 := openGateway(t, path, &lateSender{})
	_, stop := runESME(t, srv, g1.gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	for _, d := range ds[:2] {
		if st := deliver(t, srv, d); st != pdu.StatusOK {
			t.Fatalf("status %v", st)
		}
	}
	stop()
	if err := g1.db.Close(); err != nil {
		t.Fatal(err)
	}

	g2 := openGateway(t, path, &lateSender{})
	runESME(t, srv, g2.gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	if st := deliver(t, srv, ds[2]); st != pdu.StatusOK {
		t.Fatalf("last part after restart: status %v", st)
	}
	if got := g2.texts(t); !slices.Equal(got, []string{longText}) {
		t.Fatalf("SMS log = %q, want the whole text once", got)
	}
	if _, err := g2.gw.ProcessInbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	if mts := g2.messages(t, smsgw.DirOut); len(mts) != 1 || mts[0].Template != smsgw.ReplyHelp {
		t.Errorf("replies = %+v, want one help reply", mts)
	}
}

func TestConcatenatedMOPartStoreFailure(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), &lateSender{})
	runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	ds, err := srv.TextPDUs(customer, request, longText, &smpptest.TextOptions{Concat: text.ConcatSAR})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		if i == 1 {
			g.store.failing.Store(true)
			if st := deliver(t, srv, d); st != pdu.StatusXTAppn {
				t.Errorf("part 2 while the store fails = %v, want ESME_RX_T_APPN", st)
			}
			g.store.failing.Store(false)
		}
		if st := deliver(t, srv, d); st != pdu.StatusOK {
			t.Fatalf("part %d: status %v", i+1, st)
		}
	}
	// A part the SMSC sends twice (its acknowledgement was lost) counts once.
	if got := g.texts(t); !slices.Equal(got, []string{longText}) {
		t.Errorf("SMS log = %q, want the whole text once", got)
	}
}

func TestConcatenatedMORejected(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), &lateSender{})
	runESME(t, srv, g.gw, esme.Options{
		Binds:      []esme.BindOptions{bindTo(srv, "a")},
		Reassembly: text.ReassemblerOptions{MaxParts: 2},
	})
	ds, err := srv.TextPDUs(customer, request, longText, &smpptest.TextOptions{Concat: text.ConcatUDH8, Ref: 7})
	if err != nil {
		t.Fatal(err)
	}
	if st := deliver(t, srv, ds[0]); st != pdu.StatusXRAppn {
		t.Errorf("part of a 3-part message with MaxParts 2 = %v, want ESME_RX_R_APPN", st)
	}

	two, err := srv.TextPDUs(customer, request, longText[:250], &smpptest.TextOptions{Concat: text.ConcatUDH8, Ref: 8})
	if err != nil || len(two) != 2 {
		t.Fatalf("TextPDUs = %d parts, %v; want 2", len(two), err)
	}
	if st := deliver(t, srv, two[0]); st != pdu.StatusOK {
		t.Fatalf("part 1: %v", st)
	}
	mismatch := *two[1]
	mismatch.DataCoding = 8
	if st := deliver(t, srv, &mismatch); st != pdu.StatusXRAppn {
		t.Errorf("part 2 with another data_coding = %v, want ESME_RX_R_APPN", st)
	}
	bad := *two[1]
	bad.ShortMessage = []byte{0x09, 0x00, 0x03} // UDH longer than the data
	if st := deliver(t, srv, &bad); st != pdu.StatusXRAppn {
		t.Errorf("malformed UDH = %v, want ESME_RX_R_APPN", st)
	}
	if st := deliver(t, srv, two[1]); st != pdu.StatusOK {
		t.Fatalf("part 2: %v", st)
	}
	if got := g.texts(t); !slices.Equal(got, []string{longText[:250]}) {
		t.Errorf("SMS log = %q, want the 2-part text", got)
	}
}

func TestUSSDChannel(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	rec := &moRecorder{}
	e, _ := runESME(t, srv, &fakeGateway{mo: rec.handle}, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	st, err := srv.DeliverUSSD(t.Context(), smpptest.USSD{
		From: customer, To: "*123#", Text: "SALDO", Op: smpptest.USSDOpPSSRIndication,
		Session: &pdu.ITSSessionInfo{Session: 42},
	})
	if err != nil || st != pdu.StatusOK {
		t.Fatalf("DeliverUSSD = %v, %v", st, err)
	}
	mos := rec.all()
	if len(mos) != 1 || mos[0].Channel != smsgw.ChannelUSSD || mos[0].USSDSession != "42" || mos[0].Text != "SALDO" {
		t.Fatalf("HandleMO got %+v, want one USSD MO in session 42", mos)
	}
	// The answer closes the USSD dialogue in the same session.
	if _, err := e.Send(t.Context(), smsgw.MT{ID: 1, From: "*123#", To: "628110000002", Text: "Saldo Rp0",
		Channel: smsgw.ChannelUSSD, USSDSession: "42"}); err != nil {
		t.Fatal(err)
	}
	subs := srv.Submitted()
	if len(subs) != 1 {
		t.Fatalf("%d submissions, want 1", len(subs))
	}
	sm := subs[0].SubmitSM
	op, _ := sm.TLVs.Uint8(pdu.TagUSSDServiceOp)
	info, _ := sm.TLVs.ITSSessionInfo()
	if sm.ServiceType != "USSD" || op != smpptest.USSDOpPSSRResponse || info.Session != 42 || !info.End {
		t.Errorf("USSD answer: service_type %q op %d session %+v, want USSD, PSSR response, session 42 ended", sm.ServiceType, op, info)
	}
	// An SMS answer carries no USSD fields.
	if _, err := e.Send(t.Context(), smsgw.MT{ID: 2, From: request, To: "628110000002", Text: "x", Channel: smsgw.ChannelSMS}); err != nil {
		t.Fatal(err)
	}
	if sm := srv.Submitted()[1].SubmitSM; sm.ServiceType != "" || sm.TLVs.Has(pdu.TagUSSDServiceOp) {
		t.Errorf("SMS answer has USSD fields: service_type %q, TLVs %v", sm.ServiceType, sm.TLVs)
	}
}

// receiptRig is a real gateway and ESME whose MTs the SMSC does not
// receipt on its own; the test sends receipts by hand.
type receiptRig struct {
	srv *smpptest.Server
	g   *realGateway
	e   *esme.ESME
}

func newReceiptRig(t *testing.T) *receiptRig {
	srv := newSMSC(t, text.Options{})
	sender := &lateSender{}
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), sender)
	b := bindTo(srv, "a")
	b.RegisteredDelivery = false
	e, _ := runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{b}})
	sender.e.Store(e)
	return &receiptRig{srv: srv, g: g, e: e}
}

// mt has the gateway answer an MO and send the answer; it returns the
// answer's SMS log row and its submission.
func (r *receiptRig) mt(t *testing.T, body string) (smsgw.Message, smpptest.Submission) {
	t.Helper()
	before := len(r.srv.Submitted())
	if err := r.g.gw.HandleMO(t.Context(), smsgw.MO{From: customer, To: request, Text: body}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.g.gw.ProcessInbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := r.g.gw.SendDue(t.Context()); n != 1 || err != nil {
		t.Fatalf("SendDue = %d, %v; want 1", n, err)
	}
	subs := r.srv.Submitted()
	if len(subs) != before+1 {
		t.Fatalf("%d new submissions, want 1", len(subs)-before)
	}
	mts := r.g.messages(t, smsgw.DirOut)
	return mts[len(mts)-1], subs[len(subs)-1]
}

func (r *receiptRig) status(t *testing.T, id int64) string {
	t.Helper()
	var m *smsgw.Message
	if err := r.g.db.View(t.Context(), func(tx smsgw.Tx) (err error) {
		m, err = tx.Message(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func TestDeliveryReceipts(t *testing.T) {
	r := newReceiptRig(t)
	receipt := func(t *testing.T, sub smpptest.Submission, state smpptest.MessageState) *pdu.DeliverSM {
		t.Helper()
		d, err := r.srv.Receipt(sub, state, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("text and TLVs", func(t *testing.T) {
		m, sub := r.mt(t, "HALO satu")
		if st := deliver(t, r.srv, receipt(t, sub, smpptest.StateDelivered)); st != pdu.StatusOK {
			t.Fatalf("receipt status %v", st)
		}
		eventually(t, "delivered", func() bool { return r.status(t, m.ID) == smsgw.MsgDelivered })
	})
	t.Run("short_message only", func(t *testing.T) {
		m, sub := r.mt(t, "HALO dua")
		d := receipt(t, sub, smpptest.StateUndeliverable)
		d.TLVs = nil
		if st := deliver(t, r.srv, d); st != pdu.StatusOK {
			t.Fatalf("receipt status %v", st)
		}
		eventually(t, "undelivered", func() bool { return r.status(t, m.ID) == smsgw.MsgUndeliv })
	})
	t.Run("TLVs only", func(t *testing.T) {
		m, sub := r.mt(t, "HALO tiga")
		d := receipt(t, sub, smpptest.StateDelivered)
		d.ShortMessage = nil
		if st := deliver(t, r.srv, d); st != pdu.StatusOK {
			t.Fatalf("receipt status %v", st)
		}
		eventually(t, "delivered", func() bool { return r.status(t, m.ID) == smsgw.MsgDelivered })
	})
	t.Run("store failure", func(t *testing.T) {
		m, sub := r.mt(t, "HALO empat")
		d := receipt(t, sub, smpptest.StateDelivered)
		r.g.store.failing.Store(true)
		st := deliver(t, r.srv, d)
		r.g.store.failing.Store(false)
		if st != pdu.StatusXTAppn {
			t.Errorf("receipt while the store fails = %v, want ESME_RX_T_APPN (the SMSC keeps it)", st)
		}
		if got := r.status(t, m.ID); got != smsgw.MsgSent {
			t.Errorf("status after a failed receipt = %q, want sent", got)
		}
		if st := deliver(t, r.srv, d); st != pdu.StatusOK {
			t.Fatalf("receipt redelivered: status %v", st)
		}
		eventually(t, "delivered", func() bool { return r.status(t, m.ID) == smsgw.MsgDelivered })
	})
}

// A receipt may arrive before the submit response is recorded: it is
// acknowledged, retried, and tried a last time on Close.
func TestReceiptRetriedUntilMatchedAndOnClose(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	var calls atomic.Int32
	matchAfter := int32(3)
	gw := &fakeGateway{receipt: func(_ context.Context, r smsgw.Receipt) error {
		if n := calls.Add(1); n < matchAfter || r.SMSCID == "unknown" {
			return smsgw.Errorf(smsgw.ENotFound, "no MT")
		}
		return nil
	}}
	e, stop := runESME(t, srv, gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}, ReceiptRetry: time.Minute})
	sub := smpptest.Submission{MessageID: "0000ABCD", SubmitSM: &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: request, DestinationAddr: customer}}}
	d, err := srv.Receipt(sub, smpptest.StateDelivered, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := deliver(t, srv, d); st != pdu.StatusOK {
		t.Fatalf("unmatched receipt: status %v, want ESME_ROK", st)
	}
	eventually(t, "the receipt to match on a retry", func() bool { return calls.Load() == matchAfter })

	// One that never matches: Close makes one last attempt and stops
	// retrying at once.
	sub.MessageID = "unknown"
	if d, err = srv.Receipt(sub, smpptest.StateDelivered, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st := deliver(t, srv, d); st != pdu.StatusOK {
		t.Fatalf("unmatched receipt: status %v", st)
	}
	before := calls.Load()
	closed := make(chan struct{})
	go func() { stop(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a receipt was being retried")
	}
	// The last attempt, plus at most one scheduled retry that was due
	// before Close (the first comes 100ms after the receipt).
	after := calls.Load()
	if n := after - before; n < 1 || n > 2 {
		t.Errorf("HandleReceipt calls during Close = %d, want the last attempt", n)
	}
	time.Sleep(300 * time.Millisecond) // a bounded observation window: retries have stopped
	if n := calls.Load(); n != after {
		t.Errorf("HandleReceipt called %d more times after Close", n-after)
	}
	e.Close() // a second Close is harmless
}

func TestPerMSISDNOrdering(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	var (
		mu      sync.Mutex
		order   []string
		entered = map[string]chan struct{}{"A1": make(chan struct{}), "A2": make(chan struct{}), "B1": make(chan struct{})}
		release = make(chan struct{})
	)
	gw := &fakeGateway{mo: func(_ context.Context, mo smsgw.MO) error {
		mu.Lock()
		order = append(order, mo.Text)
		mu.Unlock()
		close(entered[mo.Text])
		if mo.Text == "A1" {
			<-release
		}
		return nil
	}}
	b := bindTo(srv, "a")
	b.Client.Workers = 4
	runESME(t, srv, gw, esme.Options{Binds: []esme.BindOptions{b}})
	var wg sync.WaitGroup
	send := func(from, body string) {
		ds, err := srv.TextPDUs(from, request, body, nil)
		if err != nil {
			t.Error(err)
			return
		}
		wg.Go(func() {
			if st, err := srv.Deliver(context.Background(), ds[0]); err != nil || st != pdu.StatusOK {
				t.Errorf("deliver(%s) = %v, %v", body, st, err)
			}
		})
	}
	send("08110000001", "A1")
	<-entered["A1"]
	send("08110000001", "A2")
	send("08110000003", "B1")
	<-entered["B1"] // another sender is not held up by A1
	select {
	case <-entered["A2"]:
		t.Fatal("A2 was handled while A1 from the same MSISDN was still being stored")
	case <-time.After(100 * time.Millisecond): // a bounded observation window
	}
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if i, j := slices.Index(order, "A1"), slices.Index(order, "A2"); i < 0 || j < i {
		t.Errorf("handling order %v, want A1 before A2", order)
	}
}

// sentPart is what one recorded submission says about its place in a
// concatenated MT.
type sentPart struct {
	ref        int
	total, seq int
	udh        []byte
	sar        bool
	payload    bool
	text       string
}

func partOf(t *testing.T, s smpptest.Submission) sentPart {
	t.Helper()
	var p sentPart
	ud := s.UserData()
	if s.ESMClass().UDHI() {
		h, _, err := text.ParseUDH(ud)
		if err != nil {
			t.Fatal(err)
		}
		ref, total, seq, ok := h.Concat()
		if !ok {
			t.Fatalf("UDH without concatenation: %x", ud)
		}
		p.ref, p.total, p.seq, p.udh = int(ref), int(total), int(seq), ud[:int(ud[0])+1]
	}
	tl := s.TLVs()
	if ref, ok := tl.Uint16(pdu.TagSarMsgRefNum); ok {
		total, _ := tl.Uint8(pdu.TagSarTotalSegments)
		seq, _ := tl.Uint8(pdu.TagSarSegmentSeqnum)
		p.ref, p.total, p.seq, p.sar = int(ref), int(total), int(seq), true
	}
	p.payload = tl.Has(pdu.TagMessagePayload)
	txt, err := s.Text()
	if err != nil {
		t.Fatal(err)
	}
	p.text = txt
	return p
}

func TestSendSplitsPerBind(t *testing.T) {
	long := strings.Repeat("Isi ulang i-Pay 08110000002 sebesar Rp50.000 BERHASIL. ", 6)
	tests := []struct {
		concat text.Concat
		check  func(t *testing.T, ps []sentPart, sms []*pdu.SubmitSM)
	}{
		{text.ConcatUDH8, func(t *testing.T, ps []sentPart, _ []*pdu.SubmitSM) {
			for _, p := range ps {
				if len(p.udh) != 6 || p.udh[1] != 0x00 {
					t.Errorf("UDH %x, want an 8-bit reference UDH", p.udh)
				}
			}
		}},
		{text.ConcatUDH16, func(t *testing.T, ps []sentPart, _ []*pdu.SubmitSM) {
			for _, p := range ps {
				if len(p.udh) != 7 || p.udh[1] != 0x08 {
					t.Errorf("UDH %x, want a 16-bit reference UDH", p.udh)
				}
			}
		}},
		{text.ConcatSAR, func(t *testing.T, ps []sentPart, sms []*pdu.SubmitSM) {
			for i, p := range ps {
				if !p.sar || p.udh != nil || sms[i].ESMClass.UDHI() {
					t.Errorf("part %d: sar %v udh %x, want sar_* TLVs and no UDH", i+1, p.sar, p.udh)
				}
			}
		}},
		{text.ConcatPayload, nil},
	}
	for _, tc := range tests {
		t.Run(tc.concat.String(), func(t *testing.T) {
			srv := newSMSC(t, text.Options{})
			b := bindTo(srv, "a")
			b.Concat = tc.concat
			e, _ := runESME(t, srv, &fakeGateway{}, esme.Options{Binds: []esme.BindOptions{b}})
			ids, err := e.Send(t.Context(), smsgw.MT{ID: 1, From: pinCode, To: "628110000002", Text: long, Channel: smsgw.ChannelSMS})
			if err != nil {
				t.Fatal(err)
			}
			subs := srv.Submitted()
			if len(ids) != len(subs) {
				t.Fatalf("Send returned %d ids for %d submissions", len(ids), len(subs))
			}
			var (
				ps  []sentPart
				sms []*pdu.SubmitSM
				got strings.Builder
			)
			for i, s := range subs {
				if want := strings.ToLower(strings.TrimLeft(s.MessageID, "0")); ids[i] != want {
					t.Errorf("id %d = %q, want %q (normalised %s)", i, ids[i], want, s.MessageID)
				}
				p := partOf(t, s)
				ps, sms = append(ps, p), append(sms, s.SubmitSM)
				got.WriteString(p.text)
			}
			if tc.concat == text.ConcatPayload {
				if len(ps) != 1 || !ps[0].payload || len(sms[0].ShortMessage) != 0 {
					t.Fatalf("payload bind sent %d parts (payload %v), want one message_payload", len(ps), ps[0].payload)
				}
			} else {
				if len(ps) < 2 {
					t.Fatalf("%d parts, want a concatenated message", len(ps))
				}
				for i, p := range ps {
					if p.total != len(ps) || p.seq != i+1 || p.ref != ps[0].ref {
						t.Errorf("part %d: ref %d %d/%d, want ref %d %d/%d", i+1, p.ref, p.seq, p.total, ps[0].ref, i+1, len(ps))
					}
				}
				tc.check(t, ps, sms)
			}
			if got.String() != long {
				t.Errorf("parts join to %q, want the text", got.String())
			}
			// A short text is one plain message on every bind.
			srv.Reset()
			if _, err := e.Send(t.Context(), smsgw.MT{ID: 2, From: pinCode, To: "628110000002", Text: "OK", Channel: smsgw.ChannelSMS}); err != nil {
				t.Fatal(err)
			}
			if subs := srv.Submitted(); len(subs) != 1 || subs[0].ESMClass().UDHI() || subs[0].TLVs().Has(pdu.TagSarMsgRefNum) {
				t.Errorf("short text sent as %d parts / with concatenation fields", len(subs))
			}
		})
	}
}

// More than 256 long MTs through an 8-bit UDH bind: the reference wraps
// instead of overflowing (which made every MT after the 255th fail).
func TestSendWrapsUDH8Reference(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	b := bindTo(srv, "a")
	b.Concat = text.ConcatUDH8
	b.Client.Window = 50
	e, _ := runESME(t, srv, &fakeGateway{}, esme.Options{Binds: []esme.BindOptions{b}})
	long := strings.Repeat("x", 200)
	const n = 300
	for i := range n {
		if _, err := e.Send(t.Context(), smsgw.MT{ID: int64(i + 1), From: pinCode, To: "628110000002", Text: long}); err != nil {
			t.Fatalf("MT %d: %v", i+1, err)
		}
	}
	subs := srv.Submitted()
	if len(subs) != 2*n {
		t.Fatalf("%d submissions, want %d", len(subs), 2*n)
	}
	refs := map[int]bool{}
	prev := -1
	for i := 0; i < len(subs); i += 2 {
		p1, p2 := partOf(t, subs[i]), partOf(t, subs[i+1])
		if p1.ref != p2.ref || p1.seq != 1 || p2.seq != 2 {
			t.Fatalf("MT %d: parts ref %d seq %d and ref %d seq %d, want one reference", i/2+1, p1.ref, p1.seq, p2.ref, p2.seq)
		}
		if p1.ref == prev {
			t.Errorf("MT %d reuses the reference of the MT before it (%d)", i/2+1, p1.ref)
		}
		prev = p1.ref
		refs[p1.ref] = true
	}
	if len(refs) != 256 {
		t.Errorf("%d distinct references over %d MTs, want all 256", len(refs), n)
	}
}

// temporary reports whether err says it is temporary (the outbox retries
// it) rather than permanent.
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	return !errors.As(err, &t) || t.Temporary()
}

func TestSendErrors(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	b := bindTo(srv, "a")
	b.Client.ResponseTimeout = 200 * time.Millisecond
	b.Client.MaxTimeouts = -1
	b.Client.ThrottleBase = 10 * time.Millisecond
	e, _ := runESME(t, srv, &fakeGateway{}, esme.Options{Binds: []esme.BindOptions{b}})
	mt := smsgw.MT{ID: 7, From: request, To: "628110000002", Text: "Saldo Rp0"}
	for _, tc := range []struct {
		name      string
		status    pdu.Status
		temporary bool
	}{
		{"invalid destination", pdu.StatusInvDstAddr, false},
		{"system error", pdu.StatusSysErr, false},
		{"temporary application error", pdu.StatusXTAppn, true},
	} {
		srv.FailNext(1, tc.status)
		_, err := e.Send(t.Context(), mt)
		var st pdu.Status
		if !errors.As(err, &st) || st != tc.status {
			t.Errorf("%s: Send = %v, want status %v", tc.name, err, tc.status)
		}
		if got := temporary(err); got != tc.temporary {
			t.Errorf("%s: temporary = %v, want %v", tc.name, got, tc.temporary)
		}
	}
	// Throttling is not an error: the client waits and sends again.
	srv.ThrottleNext(1)
	if _, err := e.Send(t.Context(), mt); err != nil {
		t.Errorf("Send after a throttle = %v, want success", err)
	}
	// A lost response: the outcome is unknown, which is not permanent.
	srv.UpdateFaults(func(f *smpptest.Faults) { f.DropResponses = true })
	_, err := e.Send(t.Context(), mt)
	srv.UpdateFaults(func(f *smpptest.Faults) { f.DropResponses = false })
	if !errors.Is(err, smpp.ErrUnknownOutcome) || !temporary(err) {
		t.Errorf("Send with a lost response = %v, want a temporary unknown outcome", err)
	}
	// A text that cannot be split within 255 parts is permanent.
	_, err = e.Send(t.Context(), smsgw.MT{ID: 8, From: request, To: "628110000002", Text: strings.Repeat("x", 153*256)})
	if err == nil || temporary(err) {
		t.Errorf("Send of an oversize text = %v, want a permanent error", err)
	}
}

func TestSendWithoutBind(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	addr := srv.Addr()
	srv.Close()
	b := esme.BindOptions{Name: "down", Client: smpp.ClientOptions{Addr: addr, SystemID: "down",
		BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond}}
	e, err := esme.New(esme.Options{Binds: []esme.BindOptions{b}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Send(t.Context(), smsgw.MT{ID: 1, From: request, To: "628110000002", Text: "x"})
	if err == nil || !temporary(err) {
		t.Errorf("Send with no bind = %v, want a temporary error", err)
	}
	if st := e.Status(); len(st) != 1 || st[0].Bound {
		t.Errorf("Status() = %+v, want one unbound bind", st)
	}
}

func TestNewNeedsBinds(t *testing.T) {
	if _, err := esme.New(esme.Options{}); err == nil {
		t.Error("New without binds succeeded")
	}
}

func TestCloseWithoutRun(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	e, err := esme.New(esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		e.Close()
		e.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close without Run hangs")
	}
	if n := len(srv.Conns()); n != 0 {
		t.Errorf("%d connections, want none: New and Close do no I/O", n)
	}
}
