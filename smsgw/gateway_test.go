package smsgw_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// deferred makes HandleMO only store MOs, so that a test can act between
// storing an MO and processing it.
var deferred = smsgwtest.WithOptions(func(o *smsgw.Options) { o.DeferProcessing = true })

type harness struct {
	t     *testing.T
	gw    *smsgw.Gateway
	store smsgw.Store
	clk   *smsgwtest.Clock
	out   *smsgwtest.Sender
	logs  *smsgwtest.LogBuffer
}

const (
	payer   = "08110000002"
	payerN  = domain.MSISDN("628110000002")
	other   = "08110000003"
	pin     = "246810"
	wrong   = "111111"
	request = "9779"
	pinCode = "3355"
)

func newHarness(t *testing.T, opts ...smsgwtest.Option) *harness {
	t.Helper()
	ctx := t.Context()
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	logs := new(smsgwtest.LogBuffer)
	out := &smsgwtest.Sender{}
	st, gw := sqlitetest.Open(t, append([]smsgwtest.Option{smsgwtest.WithClock(clk), smsgwtest.WithSender(out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(logs)), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32))}, opts...)...)
	if err := gw.AddCustomer(ctx, payer, payer, "Payer", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	if err := gw.AddWallet(ctx, "08110000009"); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, gw: gw, store: st, clk: clk, out: out, logs: logs}
}

// send delivers one MO, processes it and returns the replies sent.
func (h *harness) send(from, to, text string) []smsgw.MT {
	h.t.Helper()
	ctx := h.t.Context()
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: from, To: to, Text: text}); err != nil {
		h.t.Fatalf("HandleMO(%q): %v", text, err)
	}
	h.flush()
	return h.out.Take()
}

func (h *harness) flush() {
	h.t.Helper()
	ctx := h.t.Context()
	if _, err := h.gw.ProcessInbox(ctx); err != nil {
		h.t.Fatalf("ProcessInbox: %v", err)
	}
	if _, err := h.gw.SendDue(ctx); err != nil {
		h.t.Fatalf("SendDue: %v", err)
	}
}

func (h *harness) balance(account string) domain.Amount {
	h.t.Helper()
	a, _, err := h.gw.Wallet(h.t.Context(), account, 10)
	if err != nil {
		h.t.Fatalf("Wallet(%s): %v", account, err)
	}
	return a.Balance
}

func (h *harness) checkLedger() {
	h.t.Helper()
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) error {
		sum, err := tx.LedgerSum()
		if err != nil {
			return err
		}
		if sum != 0 {
			h.t.Errorf("ledger sum = %d, want 0", sum)
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// one asserts exactly one reply from code containing want.
func one(t *testing.T, mts []smsgw.MT, code, want string) smsgw.MT {
	t.Helper()
	if len(mts) != 1 {
		t.Fatalf("got %d replies %+v, want 1 containing %q", len(mts), mts, want)
	}
	if mts[0].From != code || !strings.Contains(mts[0].Text, want) {
		t.Fatalf("reply = %s %q, want from %s containing %q", mts[0].From, mts[0].Text, code, want)
	}
	return mts[0]
}

func TestHappyPath(t *testing.T) {
	h := newHarness(t)
	r := one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "Balas SMS ini dengan PIN")
	if r.To != payerN {
		t.Errorf("prompt to %s, want %s", r.To, payerN)
	}
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	if got, want := h.balance("08110000009"), domain.Amount(50000); got != want {
		t.Errorf("balance = %v, want %v", got, want)
	}
	h.checkLedger()
	// The PIN never appears in the SMS log, nor in logs.
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		ms, err := tx.Messages(smsgw.MessageFilter{Limit: 100})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if strings.Contains(m.Text, pin) {
				t.Errorf("SMS log row %d holds the PIN: %q", m.ID, m.Text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.logs.String(), pin) {
		t.Errorf("log output holds the PIN")
	}
	// A second PIN (after the de-duplication window) finds no session and
	// credits nothing.
	h.clk.Add(3 * time.Minute)
	one(t, h.send(payer, pinCode, pin), pinCode, "Tidak ada transaksi")
	if got, want := h.balance("08110000009"), domain.Amount(50000); got != want {
		t.Errorf("balance after second PIN = %v, want %v", got, want)
	}
}

func TestRejections(t *testing.T) {
	h := newHarness(t)
	one(t, h.send(other, request, "IM2PAY 08110000009 50000"), request, "belum terdaftar")
	one(t, h.send(payer, request, "IM2PAY 08119999999 50000"), request, "tidak terdaftar")
	one(t, h.send(payer, request, "IM2PAY 08110000009 60000"), request, "50.000, 75.000")
	one(t, h.send(payer, request, "IM2PAY 08110000009 abc"), request, "GAGAL")
	one(t, h.send(payer, request, "IM2PAY"), request, "format salah")
	one(t, h.send(payer, request, "HALO"), request, "tidak dikenal")
	one(t, h.send(payer, pinCode, pin), pinCode, "Tidak ada transaksi")
}

func TestWrongPINLocks(t *testing.T) {
	h := newHarness(t)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(payer, pinCode, "111111"), pinCode, "Sisa kesempatan 2")
	one(t, h.send(payer, pinCode, "222222"), pinCode, "Sisa kesempatan 1")
	one(t, h.send(payer, pinCode, "333333"), pinCode, "diblokir")
	h.clk.Add(3 * time.Minute) // the same request text again is not a redelivery
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), request, "diblokir")
	if got := h.balance("08110000009"); got != 0 {
		t.Errorf("balance = %v, want 0", got)
	}
	// The lock lifts after its time.
	h.clk.Add(31 * time.Minute)
	if n, err := h.gw.UnlockDue(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("UnlockDue = %d, %v; want 1, nil", n, err)
	}
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
}

// TestReplyTimesInRulesLocation checks that times in reply texts are shown
// in Rules.Location, WIB by default.
func TestReplyTimesInRulesLocation(t *testing.T) {
	h := newHarness(t) // the clock is 09:00 UTC; the lock lasts 30m
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.send(payer, pinCode, "111111")
	h.send(payer, pinCode, "222222")
	one(t, h.send(payer, pinCode, "333333"), pinCode, "sampai 23/11 16:30 WIB")

	r := h.gw.Rules()
	r.Location = time.FixedZone("WITA", 8*3600)
	if err := h.gw.SetRules(r); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(3 * time.Minute)
	one(t, h.send(payer, request, "SALDO"), request, "sampai 23/11 17:30 WITA")
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(4 * time.Minute)
	if n, _ := h.gw.ExpirePending(t.Context(), h.clk.Now()); n != 0 {
		t.Fatalf("expired %d sessions before the TTL", n)
	}
	h.clk.Add(2 * time.Minute)
	n, err := h.gw.ExpirePending(t.Context(), h.clk.Now())
	if err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1, nil", n, err)
	}
	// The session is expired at once; its notice follows.
	one(t, h.send(payer, pinCode, pin), pinCode, "Tidak ada transaksi")
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices = %d, %v; want 1, nil", n, err)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 0 {
		t.Fatalf("second QueueExpiryNotices = %d, %v; want 0, nil", n, err)
	}
	h.flush()
	one(t, h.out.Take(), pinCode, "dibatalkan karena PIN tidak diterima")
	one(t, h.send(payer, pinCode, pin), pinCode, "Tidak ada transaksi")
	if got := h.balance("08110000009"); got != 0 {
		t.Errorf("balance = %v, want 0", got)
	}
	// A repeated run finds nothing.
	if n, _ := h.gw.ExpirePending(t.Context(), h.clk.Now()); n != 0 {
		t.Errorf("second ExpirePending = %d, want 0", n)
	}
}

func TestCancelAndBusy(t *testing.T) {
	h := newHarness(t)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(payer, request, "IM2PAY 08110000009 75000"), request, "masih memiliki permintaan")
	// Other keywords do not swallow the pending PIN session.
	one(t, h.send(payer, request, "SALDO"), request, "Saldo i-Pay")
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	h.clk.Add(3 * time.Minute) // past the de-duplication window
	one(t, h.send(payer, request, "BATAL"), request, "Tidak ada permintaan")
	one(t, h.send(payer, pinCode, pin), pinCode, "Tidak ada transaksi")
}

func TestPINOnlyFromOpener(t *testing.T) {
	h := newHarness(t)
	if err := h.gw.AddCustomer(t.Context(), other, other, "Other", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(other, pinCode, pin), pinCode, "Tidak ada transaksi")
	// A PIN sent to the request short code is not taken as a PIN reply.
	one(t, h.send(payer, request, pin), request, "kirim PIN hanya")
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
}

func TestBalanceHistory(t *testing.T) {
	h := newHarness(t)
	one(t, h.send(payer, request, "RIWAYAT"), request, "Belum ada transaksi")
	for _, amt := range []string{"50000", "75.000"} {
		h.send(payer, request, "IM2PAY "+payer+" "+amt)
		one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
		h.clk.Add(3 * time.Minute) // the same PIN text again is not a redelivery
	}
	one(t, h.send(payer, request, "saldo"), request, "Rp125.000")
	r := one(t, h.send(payer, request, "RIWAYAT"), request, "+Rp75.000")
	if !strings.Contains(r.Text, "+Rp50.000") {
		t.Errorf("history %q lacks the first top-up", r.Text)
	}
	// Entries are separated by "; " and the text ends as a sentence; times
	// are in WIB (the clock is 09:00 UTC).
	if got, want := strings.Count(r.Text, "; "), 1; got != want || strings.HasSuffix(r.Text, ";") || !strings.HasSuffix(r.Text, ".") {
		t.Errorf("history %q: want two entries separated by \"; \" and a final \".\"", r.Text)
	}
	if !strings.Contains(r.Text, "23/11 16:00 +Rp50.000") {
		t.Errorf("history %q: want the first top-up at 23/11 16:00 (WIB)", r.Text)
	}
}

func TestChangePIN(t *testing.T) {
	h := newHarness(t)
	one(t, h.send(payer, request, "PIN "+wrong+" 135790"), request, "Ganti PIN GAGAL")
	one(t, h.send(payer, request, "PIN "+pin+" 135790"), request, "berhasil diubah")
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(payer, pinCode, pin), pinCode, "PIN salah")
	one(t, h.send(payer, pinCode, "135790"), pinCode, "BERHASIL")
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		ms, err := tx.Messages(smsgw.MessageFilter{Keyword: "PIN", Limit: 10})
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			t.Error("no PIN messages logged")
		}
		for _, m := range ms {
			if strings.ContainsAny(m.Text, "0123456789") {
				t.Errorf("PIN change logged as %q", m.Text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type permanent struct{}

func (permanent) Error() string   { return "rejected" }
func (permanent) Temporary() bool { return false }

func TestOutboxRetry(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.out.SetError(errors.New("link down"))
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO"}); err != nil {
		t.Fatal(err)
	}
	h.flush()
	if len(h.out.Take()) != 0 {
		t.Fatal("sent while failing")
	}
	h.out.SetError(nil)
	h.flush() // not due yet
	if got := len(h.out.Take()); got != 0 {
		t.Fatalf("sent %d before the retry time", got)
	}
	h.clk.Add(3 * time.Second)
	h.flush()
	one(t, h.out.Take(), request, "Saldo")
	h.out.SetError(permanent{})
	h.send(payer, request, "SALDO")
	h.out.SetError(nil)
	h.clk.Add(time.Hour)
	h.flush()
	if got := len(h.out.Take()); got != 0 {
		t.Fatalf("permanently failed MT was resent %d times", got)
	}
}

// A PIN typed where it does not belong (appended to a request, after
// SALDO, glued to the PIN keyword, after BATAL on the PIN short code) is
// starred out in the SMS log like a PIN reply, and never in the logs.
func TestStrayPINsRedacted(t *testing.T) {
	h := newHarness(t)
	texts := []struct{ to, text, stored string }{
		{request, "IM2PAY 08110000009 50000 " + pin, "IM2PAY 08110000009 50000 ******"},
		{request, "SALDO " + pin, "SALDO ******"},
		{request, "PIN" + pin, "PIN******"},
		{request, "TOPUP " + pin, "TOPUP ******"},
		{request, pin, "****"},
		{request, "PIN " + pin + " 135790", "PIN **** ****"},
		{pinCode, "BATAL " + pin, "BATAL ******"},
		{pinCode, "PIN " + pin, "****"},
		{request, "IM2PAY 08110000009 150000", "IM2PAY 08110000009 150000"},
		{request, "IM2PAY 0811-0000-009 50.000", "IM2PAY 0811-0000-009 50.000"},
	}
	for _, c := range texts {
		h.send(payer, c.to, c.text)
		h.clk.Add(3 * time.Minute) // past the de-duplication window
	}
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		ms, err := tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn, Limit: 100})
		if err != nil {
			return err
		}
		if len(ms) != len(texts) {
			t.Fatalf("%d MOs logged, want %d", len(ms), len(texts))
		}
		for i, m := range ms { // newest first
			want := texts[len(texts)-1-i].stored
			if m.Text != want {
				t.Errorf("SMS log row %d = %q, want %q", m.ID, m.Text, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.logs.String(), pin) {
		t.Error("log output holds the PIN")
	}
}

// failingSessions is a store whose transactions cannot create sessions.
type failingSessions struct{ smsgw.Store }

func (s failingSessions) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	return s.Store.Update(ctx, func(tx smsgw.Tx) error { return fn(noSessionTx{tx}) })
}

type noSessionTx struct{ smsgw.Tx }

func (noSessionTx) CreateSession(*smsgw.Session) error { return errors.New("disk I/O error") }

// An MO that keeps failing is given up with an apology after
// MaxMOAttempts attempts over MOGiveUpAfter, and the sender's later MOs,
// which waited behind it, are then answered in order.
func TestFailingMOGivenUp(t *testing.T) {
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	out := &smsgwtest.Sender{}
	_, gw := sqlitetest.Open(t, smsgwtest.WithClock(clk), smsgwtest.WithSender(out), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.Store = failingSessions{o.Store} }))
	ctx := t.Context()
	if err := gw.AddCustomer(ctx, payer, payer, "Payer", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"IM2PAY " + payer + " 50000", "SALDO"} {
		if err := gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if err := gw.HandleMO(ctx, smsgw.MO{From: other, To: request, Text: "BANTUAN"}); err != nil {
		t.Fatal(err)
	}
	run := func() []smsgw.MT {
		t.Helper()
		_, _ = gw.ProcessInbox(ctx) // errors are expected while the MO fails
		if _, err := gw.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		return out.Take()
	}
	// The other sender is answered; SALDO waits behind the failing IM2PAY.
	if got := run(); len(got) != 1 || got[0].To != domain.MSISDN("628110000003") {
		t.Fatalf("first run sent %+v, want only the other sender's help", got)
	}
	for i := 2; i < smsgw.MaxMOAttempts; i++ {
		clk.Add(smsgw.MOGiveUpAfter)
		if got := run(); len(got) != 0 {
			t.Fatalf("attempt %d sent %+v before the MO was given up", i, got)
		}
	}
	clk.Add(smsgw.MOGiveUpAfter)
	got := run()
	if len(got) != 2 || !strings.Contains(got[0].Text, "tidak dapat diproses") || !strings.Contains(got[1].Text, "Saldo") {
		t.Fatalf("after giving up sent %+v, want the apology then the balance", got)
	}
	if got := run(); len(got) != 0 {
		t.Errorf("a given-up MO was tried again: %+v", got)
	}
}

// Messages of other senders are not held up when more than a batch of
// rows waits behind one sender's failing MO.
func TestFailingMODoesNotBlockOthers(t *testing.T) {
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	out := &smsgwtest.Sender{}
	_, gw := sqlitetest.Open(t, smsgwtest.WithClock(clk), smsgwtest.WithSender(out), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.Store = failingSessions{o.Store} }))
	ctx := t.Context()
	if err := gw.AddCustomer(ctx, payer, payer, "Payer", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	mo := func(from, text string) {
		t.Helper()
		if err := gw.HandleMO(ctx, smsgw.MO{From: from, To: request, Text: text}); err != nil {
			t.Fatal(err)
		}
		clk.Add(3 * time.Minute) // past the de-duplication window
	}
	mo(payer, "IM2PAY "+payer+" 50000")
	for range 150 {
		mo(payer, "SALDO")
	}
	mo(other, "BANTUAN")
	_, _ = gw.ProcessInbox(ctx)
	if _, err := gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := out.Take()
	if len(got) != 1 || got[0].To != domain.MSISDN("628110000003") {
		t.Fatalf("sent %d replies %+v; want only the other sender's help", len(got), got)
	}
}

// A PIN reply stored before the PIN was reset is neither accepted nor
// counted as wrong when it is processed after the reset.
func TestPINReplyAcrossReset(t *testing.T) {
	h := newHarness(t, deferred)
	ctx := t.Context()
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "Balas SMS ini dengan PIN")
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: pinCode, Text: pin}); err != nil {
		t.Fatal(err)
	}
	if err := h.gw.ResetPIN(ctx, payer, domain.PIN("135790")); err != nil {
		t.Fatal(err)
	}
	h.flush()
	one(t, h.out.Take(), pinCode, "Balas dengan PIN")
	err := h.store.View(ctx, func(tx smsgw.Tx) error {
		c, err := tx.Customer(payerN)
		if err != nil {
			return err
		}
		if c.PINFailures != 0 {
			t.Errorf("PINFailures = %d after a reply that predates the reset, want 0", c.PINFailures)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The new PIN works.
	one(t, h.send(payer, pinCode, "135790"), pinCode, "BERHASIL")
}

// PINs typed in other scripts' digits (Arabic-Indic, Extended
// Arabic-Indic, full-width, mixed) are starred out like ASCII ones,
// one star per digit, wherever they appear.
func TestRedactUnicodeDigits(t *testing.T) {
	_, gw := sqlitetest.Open(t, smsgwtest.WithCodes(request, pinCode))
	r := gw.Rules()
	tests := []struct{ code, in, want string }{
		{request, "SALDO ٢٤٦٨٠٥", "SALDO ******"},
		{request, "SALDO ۲۴۶۸۰۵", "SALDO ******"},
		{request, "SALDO ２４６８０５", "SALDO ******"},
		{request, "SALDO 24٦٨05", "SALDO ******"},
		{request, "٢٤٦٨٠٥", "******"},
		{request, "PIN٢٤٦٨٠٥", "PIN ****"},
		{request, "PIN ٢٤٦٨٠٥ ١٣٥٧٩٠", "PIN ****"}, // not a valid change: old and new hidden
		{request, "IM2PAY 08110000009 50000 ２４６８０５", "IM2PAY 08110000009 50000 ******"},
		{request, "TOPUP ०१२३४५", "TOPUP ******"}, // Devanagari
		{request, "kode ٢٤٦٨٠٥٧", "kode ٢٤٦٨٠٥٧"}, // 7 digits: not a PIN length
		{request, "x\xff٢٤٦٨٠٥\xfe", "x\xff******\xfe"},
		{pinCode, "٢٤٦٨٠٥", "****"},
		{pinCode, "２４６８０５", "****"},
		{pinCode, "BATAL ２４６８０５", "BATAL ******"},
	}
	for _, tc := range tests {
		if got := r.Redact(tc.code, tc.in); got != tc.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", tc.code, tc.in, got, tc.want)
		}
	}
}

// A PIN reply in Arabic-Indic or full-width digits is not read as a PIN:
// the customer is asked for the PIN again, no wrong PIN is counted, and
// neither the SMS log nor the logs hold the digits.
func TestUnicodeDigitPINReply(t *testing.T) {
	h := newHarness(t)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	for _, text := range []string{"٢٤٦٨١٠", "２４６８１０"} {
		replies := h.send(payer, pinCode, text)
		if len(replies) != 1 || !strings.Contains(replies[0].Text, "angka saja") {
			t.Fatalf("replies to %q = %+v, want the not-a-PIN prompt", text, replies)
		}
		h.clk.Add(3 * time.Minute)
	}
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		c, err := tx.Customer(payerN)
		if err != nil {
			return err
		}
		if c.PINFailures != 0 {
			t.Errorf("PINFailures = %d, want 0", c.PINFailures)
		}
		ms, err := tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn, ShortCode: pinCode})
		if err != nil {
			return err
		}
		if len(ms) != 2 {
			t.Fatalf("%d PIN replies logged, want 2", len(ms))
		}
		for _, m := range ms {
			if m.Text != "****" || m.Keyword != "PIN_REPLY" {
				t.Errorf("PIN reply logged as %q (%s), want **** (PIN_REPLY)", m.Text, m.Keyword)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, digits := range []string{"٢٤٦٨١٠", "２４６８１０", "٢٤٦", "２４６"} {
		if strings.Contains(h.logs.String(), digits) {
			t.Errorf("log output holds %q", digits)
		}
	}
}

// An unregistered number is told it is not registered: a top-up with the
// IM2PAY failure wording, any other keyword with a text that names it and
// does not speak of a failed top-up.
func TestNotRegisteredReplies(t *testing.T) {
	h := newHarness(t)
	const stranger = "08119999999"
	tests := []struct{ text, keyword, want string }{
		{"IM2PAY 08110000009 50000", "", "IM2PAY GAGAL"},
		{"SALDO", "SALDO", "perintah SALDO"},
		{"cek", "SALDO", "perintah SALDO"},
		{"RIWAYAT", "RIWAYAT", "perintah RIWAYAT"},
		{"PIN 123456 654321", "PIN", "perintah PIN"},
	}
	for _, tc := range tests {
		replies := h.send(stranger, request, tc.text)
		h.clk.Add(3 * time.Minute)
		if len(replies) != 1 {
			t.Fatalf("%q: %d replies, want 1", tc.text, len(replies))
		}
		got := replies[0].Text
		if !strings.Contains(got, tc.want) || !strings.Contains(got, "belum terdaftar") {
			t.Errorf("reply to %q = %q, want it to say %q and belum terdaftar", tc.text, got, tc.want)
		}
		if tc.keyword != "" && strings.Contains(got, "GAGAL") {
			t.Errorf("reply to %q = %q, speaks of a failed top-up", tc.text, got)
		}
	}
	// BATAL from a stranger has nothing to cancel, and says so.
	replies := h.send(stranger, request, "BATAL")
	if len(replies) != 1 || strings.Contains(replies[0].Text, "GAGAL") {
		t.Errorf("reply to BATAL = %+v, want one reply without GAGAL", replies)
	}
}

// An expired session keeps its notice owed until one is queued: a gateway
// that stops (or dies) between the expiry and the notice leaves it to the
// next one, which queues it once.
func TestExpiryNoticeAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(6 * time.Minute)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1, nil", n, err)
	}
	// The restarted gateway, on the same store.
	out := &smsgwtest.Sender{}
	gw := smsgwtest.New(t, h.store, smsgwtest.WithClock(h.clk), smsgwtest.WithSender(out),
		smsgwtest.WithCodes(request, pinCode), smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)))
	if n, err := gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices after a restart = %d, %v; want 1, nil", n, err)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 0 {
		t.Fatalf("QueueExpiryNotices again = %d, %v; want 0, nil", n, err)
	}
	if _, err := gw.SendDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	one(t, out.Take(), pinCode, "dibatalkan karena PIN tidak diterima")
}
