package smsgw_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// Many senders' MOs are processed and their replies sent concurrently, yet
// each sender's messages are handled, and each number's replies sent, in
// the order they arrived.
func TestConcurrentSendersKeepTheirOrder(t *testing.T) {
	h := newHarness(t, deferred) // all stored first, then processed together
	ctx := t.Context()
	const senders = 60
	for i := range senders {
		from := fmt.Sprintf("0812%07d", i)
		for _, text := range []string{"SALDO", "BANTUAN", "BATAL"} {
			if err := h.gw.HandleMO(ctx, smsgw.MO{From: from, To: request, Text: text}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := h.gw.ProcessInbox(ctx)
	if err != nil || n != 3*senders {
		t.Fatalf("ProcessInbox() = %d, %v; want %d, nil", n, err, 3*senders)
	}
	if n, err := h.gw.SendDue(ctx); err != nil || n != 3*senders {
		t.Fatalf("SendDue() = %d, %v; want %d, nil", n, err, 3*senders)
	}
	got := map[domain.MSISDN][]string{}
	for _, mt := range h.out.Take() {
		got[mt.To] = append(got[mt.To], mt.Text)
	}
	if len(got) != senders {
		t.Fatalf("replies to %d numbers, want %d", len(got), senders)
	}
	// Unregistered senders get, for SALDO, BANTUAN and BATAL and
	// in that order: not registered (naming SALDO), help, nothing to cancel.
	for to, texts := range got {
		if len(texts) != 3 || !strings.Contains(texts[0], "SALDO") || !strings.Contains(texts[1], "Layanan i-Pay") ||
			!strings.Contains(texts[2], "Tidak ada permintaan") {
			t.Errorf("replies to %s = %q, want not-registered (SALDO), help, nothing-to-cancel in order", to, texts)
		}
	}
}
