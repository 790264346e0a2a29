package smsgw_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// part builds part seq of total of the message key, carrying data.
func part(key string, seq, total int, from, to, data string) smsgw.MOPart {
	return smsgw.MOPart{Key: key, Seq: seq, Total: total, DataCoding: 8, Data: []byte(data), From: from, To: to, Link: "l1"}
}

func (h *harness) part(p smsgw.MOPart) {
	h.t.Helper()
	if err := h.gw.HandleMOPart(h.t.Context(), p, smsgwtest.JoinText); err != nil {
		h.t.Fatalf("HandleMOPart(%s %d/%d): %v", p.Key, p.Seq, p.Total, err)
	}
}

func (h *harness) storedParts(key string) []smsgw.MOPart {
	h.t.Helper()
	var ps []smsgw.MOPart
	if err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ps, err = tx.MOParts(key)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return ps
}

func (h *harness) inbound() []smsgw.Message {
	h.t.Helper()
	var ms []smsgw.Message
	if err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn, Limit: 100})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return ms
}

func TestMOPartsAssembleInOneTransaction(t *testing.T) {
	h := newHarness(t)
	var seen []smsgw.MOPart
	assemble := func(parts []smsgw.MOPart) string {
		seen = slices.Clone(parts)
		return smsgwtest.JoinText(parts)
	}
	for _, p := range []smsgw.MOPart{
		part("k", 3, 3, payer, request, "DO"),
		part("k", 1, 3, payer, request, "SA"),
	} {
		if err := h.gw.HandleMOPart(t.Context(), p, assemble); err != nil {
			t.Fatal(err)
		}
		if ms := h.inbound(); len(ms) != 0 {
			t.Fatalf("after part %d: %d MOs stored, want none until the message is complete", p.Seq, len(ms))
		}
	}
	if got := h.storedParts("k"); len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 3 {
		t.Fatalf("stored parts = %+v, want seq 1 and 3", got)
	}
	if err := h.gw.HandleMOPart(t.Context(), part("k", 2, 3, payer, request, "L"), assemble); err != nil {
		t.Fatal(err)
	}
	if got := []int{seen[0].Seq, seen[1].Seq, seen[2].Seq}; !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("assemble got parts %v, want seq order 1 2 3", got)
	}
	if got := smsgwtest.JoinText(seen); got != "SALDO" {
		t.Errorf("assemble got data %q, want the plain part data %q", got, "SALDO")
	}
	if got := h.storedParts("k"); len(got) != 0 {
		t.Errorf("%d parts left after the message completed, want none", len(got))
	}
	ms := h.inbound()
	if len(ms) != 1 || ms[0].Text != "SALDO" || ms[0].MSISDN != payerN || ms[0].ShortCode != request {
		t.Fatalf("inbound = %+v, want one SALDO MO from %s to %s", ms, payerN, request)
	}
	h.flush()
	one(t, h.out.Take(), request, "Saldo i-Pay")
}

func TestMOPartsRepeatedPartIgnored(t *testing.T) {
	h := newHarness(t)
	h.part(part("k", 1, 2, payer, request, "SAL"))
	h.part(part("k", 1, 2, payer, request, "XXX")) // redelivered: the first copy stays
	if got := h.storedParts("k"); len(got) != 1 {
		t.Fatalf("stored parts = %d, want 1", len(got))
	}
	h.part(part("k", 2, 2, payer, request, "DO"))
	if ms := h.inbound(); len(ms) != 1 || ms[0].Text != "SALDO" {
		t.Fatalf("inbound = %+v, want one SALDO", ms)
	}
	// The last part redelivered after completion starts a message that
	// never completes: nothing is processed twice.
	h.part(part("k", 2, 2, payer, request, "DO"))
	if ms := h.inbound(); len(ms) != 1 {
		t.Errorf("inbound after a late repeat = %d MOs, want 1", len(ms))
	}
}

// A PIN reply in two parts: the stored part never holds the digits in
// clear, and the whole reply credits once.
func TestMOPartsPINSealedAtRest(t *testing.T) {
	h := newHarness(t)
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "PIN")
	h.part(part("pin", 1, 2, payer, pinCode, pin[:4]))
	ps := h.storedParts("pin")
	if len(ps) != 1 {
		t.Fatalf("stored parts = %d, want 1", len(ps))
	}
	if bytes.Contains(ps[0].Data, []byte(pin[:4])) {
		t.Errorf("stored part data %x holds the PIN digits in clear", ps[0].Data)
	}
	h.part(part("pin", 2, 2, payer, pinCode, pin[4:]))
	h.flush()
	one(t, h.out.Take(), pinCode, "BERHASIL")
	if got := h.balance("08110000009"); got != 50000 {
		t.Errorf("balance = %v, want 50000", got)
	}
	for _, m := range h.inbound() {
		if strings.Contains(m.Text, pin) {
			t.Errorf("SMS log row %d holds the PIN", m.ID)
		}
	}
	if strings.Contains(h.logs.String(), pin) || strings.Contains(h.logs.String(), pin[:4]) {
		t.Error("log holds PIN digits")
	}
}

func TestMOPartsRejected(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.part(part("k", 1, 3, payer, request, "a"))
	for _, tc := range []struct {
		name string
		p    smsgw.MOPart
		code string
	}{
		{"seq 0", part("k", 0, 3, payer, request, "x"), smsgw.EInvalid},
		{"seq > total", part("k", 4, 3, payer, request, "x"), smsgw.EInvalid},
		{"total 256", part("k", 1, 256, payer, request, "x"), smsgw.EInvalid},
		{"no key", part("", 1, 3, payer, request, "x"), smsgw.EInvalid},
		{"other total", part("k", 2, 4, payer, request, "x"), smsgw.EInvalid},
		{"other data coding", func() smsgw.MOPart { p := part("k", 2, 3, payer, request, "x"); p.DataCoding = 0; return p }(), smsgw.EInvalid},
	} {
		err := h.gw.HandleMOPart(ctx, tc.p, smsgwtest.JoinText)
		if got := smsgw.ErrorCode(err); got != tc.code {
			t.Errorf("HandleMOPart(%s) = %v, want code %s", tc.name, err, tc.code)
		}
	}
	if got := h.storedParts("k"); len(got) != 1 {
		t.Errorf("stored parts after rejections = %d, want 1", len(got))
	}
}

// newPartGateway builds a second gateway over h's store with h's clock,
// sender and log, a PIN key of 32 bytes of value key, and opts.
func newPartGateway(t *testing.T, h *harness, key byte, opts ...smsgwtest.Option) *smsgw.Gateway {
	t.Helper()
	return smsgwtest.New(t, h.store, append([]smsgwtest.Option{
		smsgwtest.WithPINKey(bytes.Repeat([]byte{key}, 32)), smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))), smsgwtest.WithCodes(request, pinCode),
	}, opts...)...)
}

func TestMOPartsPendingLimit(t *testing.T) {
	h := newHarness(t)
	gw := newPartGateway(t, h, 7, smsgwtest.WithOptions(func(o *smsgw.Options) { o.MaxPartMessages = 2 }))
	ctx := t.Context()
	for _, k := range []string{"a", "b"} {
		if err := gw.HandleMOPart(ctx, part(k, 1, 2, payer, request, "x"), smsgwtest.JoinText); err != nil {
			t.Fatal(err)
		}
	}
	err := gw.HandleMOPart(ctx, part("c", 1, 2, payer, request, "x"), smsgwtest.JoinText)
	if smsgw.ErrorCode(err) != smsgw.EBusy {
		t.Errorf("HandleMOPart(third message) = %v, want code busy", err)
	}
	// Parts of waiting messages still go in, and completing one makes room.
	if err := gw.HandleMOPart(ctx, part("a", 2, 2, payer, request, "y"), smsgwtest.JoinText); err != nil {
		t.Fatalf("HandleMOPart(completing part) = %v", err)
	}
	if err := gw.HandleMOPart(ctx, part("c", 1, 2, payer, request, "x"), smsgwtest.JoinText); err != nil {
		t.Errorf("HandleMOPart(third message, room made) = %v", err)
	}
}

func TestMOPartsExpire(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.part(part("k", 1, 2, payer, request, "SAL"))
	h.clk.Add(5 * time.Minute)
	if n, err := h.gw.ExpireMOParts(ctx, h.clk.Now()); n != 0 || err != nil {
		t.Fatalf("ExpireMOParts(+5m) = %d, %v; want 0", n, err)
	}
	h.clk.Add(5*time.Minute + time.Second)
	n, err := h.gw.ExpireMOParts(ctx, h.clk.Now())
	if n != 1 || err != nil {
		t.Fatalf("ExpireMOParts(+10m1s) = %d, %v; want 1", n, err)
	}
	if got := h.storedParts("k"); len(got) != 0 {
		t.Errorf("%d parts left after expiry", len(got))
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "incomplete concatenated MO dropped") || strings.Contains(logs, "SAL") || strings.Contains(logs, "628110000002") {
		t.Errorf("expiry log should name the drop with a masked sender and no text:\n%s", logs)
	}
	// The late last part starts afresh and never completes the old text.
	h.part(part("k", 2, 2, payer, request, "DO"))
	if ms := h.inbound(); len(ms) != 0 {
		t.Errorf("inbound = %+v, want none", ms)
	}
}

func TestMOPartsStaleReferenceReused(t *testing.T) {
	h := newHarness(t)
	h.part(part("k", 1, 2, payer, request, "old "))
	h.clk.Add(11 * time.Minute) // past the timeout, before the expiry job ran
	h.part(part("k", 2, 2, payer, request, "DO"))
	h.part(part("k", 1, 2, payer, request, "SAL"))
	ms := h.inbound()
	if len(ms) != 1 || ms[0].Text != "SALDO" {
		t.Fatalf("inbound = %+v, want one SALDO built from the new parts only", ms)
	}
	if !strings.Contains(h.logs.String(), "stale parts") {
		t.Error("dropping stale parts was not logged")
	}
}

// The SMSC sending a whole message again over another link (its
// acknowledgements were lost with the first link) stores it once; the
// customer sending the same long message again, after the first was
// confirmed, is answered again.
func TestMOPartsRedeliveredMessage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		confirmed bool
		want      int
	}{{"lost", false, 1}, {"confirmed", true, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for _, l := range []*link{newLink("l1"), newLink("l2")} {
				for seq, data := range []string{"SAL", "DO"} {
					p := part("k", seq+1, 2, payer, request, data)
					p.Link = l.name
					p.Track = l.mo("", "", "").Track
					h.part(p)
				}
				l.settle(tc.confirmed)
			}
			if ms := h.inbound(); len(ms) != tc.want {
				t.Errorf("inbound = %d MOs, want %d", len(ms), tc.want)
			}
			st := h.gw.Stats()
			if st.MOStored.Load() != int64(tc.want) || st.MODuplicate.Load() != int64(2-tc.want) {
				t.Errorf("stats stored %d duplicate %d, want %d and %d", st.MOStored.Load(), st.MODuplicate.Load(), tc.want, 2-tc.want)
			}
		})
	}
}

// Parts sealed under another PIN key cannot be opened: the message is
// dropped and logged instead of blocking its reference.
func TestMOPartsUnreadableAfterKeyChange(t *testing.T) {
	h := newHarness(t)
	h.part(part("k", 1, 2, payer, request, "SAL"))
	gw := newPartGateway(t, h, 9)
	if err := gw.HandleMOPart(t.Context(), part("k", 2, 2, payer, request, "DO"), smsgwtest.JoinText); err != nil {
		t.Fatalf("HandleMOPart = %v, want nil (message dropped)", err)
	}
	if ms := h.inbound(); len(ms) != 0 {
		t.Errorf("inbound = %+v, want none", ms)
	}
	if got := h.storedParts("k"); len(got) != 0 {
		t.Errorf("%d parts left, want none", len(got))
	}
	if !strings.Contains(h.logs.String(), "cannot be opened") {
		t.Error("drop not logged")
	}
}

// failingStore fails every Update while fail is set.
type failingStore struct {
	smsgw.Store
	fail bool
}

func (s *failingStore) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	if s.fail {
		return errors.New("disk I/O error")
	}
	return s.Store.Update(ctx, fn)
}

func TestMOPartsStoreFailure(t *testing.T) {
	h := newHarness(t)
	fs := &failingStore{Store: h.store, fail: true}
	gw := newPartGateway(t, h, 7)
	gwFail := newPartGateway(t, &harness{t: t, store: fs, clk: h.clk, out: h.out, logs: h.logs}, 7)
	err := gwFail.HandleMOPart(t.Context(), part("k", 1, 2, payer, request, "SAL"), smsgwtest.JoinText)
	if err == nil || smsgw.ErrorCode(err) != smsgw.EInternal {
		t.Fatalf("HandleMOPart(failing store) = %v, want an internal error", err)
	}
	if got := h.storedParts("k"); len(got) != 0 {
		t.Fatalf("%d parts stored by a failed call", len(got))
	}
	for seq, data := range []string{"SAL", "DO"} {
		if err := gw.HandleMOPart(t.Context(), part("k", seq+1, 2, payer, request, data), smsgwtest.JoinText); err != nil {
			t.Fatal(err)
		}
	}
	if ms := h.inbound(); len(ms) != 1 || ms[0].Text != "SALDO" {
		t.Errorf("inbound = %+v, want one SALDO", ms)
	}
}
