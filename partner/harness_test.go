package partner_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// harness is a gateway on a fresh store with one payer and one wallet, as
// in the smsgw tests; newPartnerHarness adds the partner service.
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

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := t.Context()
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	logs := new(smsgwtest.LogBuffer)
	out := &smsgwtest.Sender{}
	st, gw := sqlitetest.Open(t, smsgwtest.WithClock(clk), smsgwtest.WithSender(out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(logs)), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)))
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

// permanent is an error that retrying cannot fix.
type permanent struct{}

func (permanent) Error() string   { return "rejected" }
func (permanent) Temporary() bool { return false }
