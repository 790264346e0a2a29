package smsgw_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// Two gateways on one store (as daemons sharing a database are) process
// the same inbox at once: every MO is processed by one of them, once.
func TestInboxSharedByTwoGateways(t *testing.T) {
	h := newHarness(t, deferred)
	gw2 := newPartGateway(t, h, 7, deferred)
	ctx := t.Context()
	const n = 60
	for i := range n {
		if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO", SMSCID: "s" + string(rune('A'+i%26)) + string(rune('a'+i/26))}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, gw := range []*smsgw.Gateway{h.gw, gw2, h.gw, gw2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := gw.ProcessInbox(ctx); err != nil {
				t.Errorf("ProcessInbox: %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := h.gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, mt := range h.out.Take() {
		if strings.Contains(mt.Text, "Saldo") {
			replies++
		}
	}
	if replies != n {
		t.Errorf("%d balance replies to %d SALDO MOs, want one each", replies, n)
	}
	if logs := h.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "level=WARN") {
		t.Errorf("warnings while sharing the inbox:\n%s", logs)
	}
}

// Two gateways sharing a store send its queued MTs at once: each MT
// reaches the SMSC once, through one of them.
func TestOutboxSharedByTwoGateways(t *testing.T) {
	shared := func(node string) smsgwtest.Option {
		return smsgwtest.WithOptions(func(o *smsgw.Options) { o.SharedStore, o.DeferProcessing, o.Node = true, true, node })
	}
	h := newHarness(t, shared("a"))
	gw2 := newPartGateway(t, h, 7, shared("b"))
	ctx := t.Context()
	const n = 60
	for i := range n {
		if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO", SMSCID: fmt.Sprint("o", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, gw := range []*smsgw.Gateway{h.gw, gw2, h.gw, gw2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := gw.SendDue(ctx); err != nil {
				t.Errorf("SendDue: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := len(h.out.Take()); got != n {
		t.Errorf("%d MTs reached the SMSC for %d queued, want each once", got, n)
	}
}
