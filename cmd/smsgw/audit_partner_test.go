package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// deadLetter is a callback failure that is not retried.
type deadLetter struct{}

func (deadLetter) Error() string   { return "partner answered 410 Gone" }
func (deadLetter) Temporary() bool { return false }

// TestAuditPartnerViews records partner requests and callbacks in a
// database, then reads them back with `smsgw audit partners`, `audit
// callbacks` and `audit transfer`.
func TestAuditPartnerViews(t *testing.T) {
	ctx := t.Context()
	t.Setenv("SMSGW_PIN_KEY", e2eKey)
	cfg := writeConfig(t, fmt.Sprintf(consoleBase, false)+"[database]\npath = \"gw.db\"\n")
	const (
		payer = "08110000002"
		pin   = "975312"
	)
	gw, closeStore, err := adminGateway(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := partner.New(gw, partner.Options{
		Partners: []partner.Partner{{ID: "reseller"}, {ID: "bank", VA: true}},
		Notifier: partner.NotifierFunc(func(_ context.Context, r partner.Request) error {
			if r.Partner == "bank" {
				return deadLetter{}
			}
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := gw.AddCustomer(ctx, payer, payer, "Ani", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deposit(ctx, smsgw.Actor{Name: "cli:test", Role: "admin"}, "reseller", 500_000, "TRF-1"); err != nil {
		t.Fatal(err)
	}
	inv, err := svc.TopUp(ctx, partner.TopUpRequest{Partner: "reseller", RefID: "INV-1", Product: "IP50", Dest: payer})
	if err != nil {
		t.Fatal(err)
	}
	va, err := svc.PayVA(ctx, partner.VAPayment{Partner: "bank", VA: "0138877" + payer, Amount: 100_000, BankRef: "BR-1"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SendCallbacks(ctx); err != nil || n != 1 {
		t.Fatalf("SendCallbacks = %d, %v; want 1 acknowledged", n, err)
	}
	closeStore()

	run := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "-config", cfg)
		if got := Main(ctx, args, strings.NewReader(""), &out, &errb); got != want {
			t.Fatalf("smsgw %v = %d, want %d\n%s", args, got, want, errb.String())
		}
		return out.String() + errb.String()
	}

	var rs []report.PartnerRecord
	if err := json.Unmarshal([]byte(run(0, "audit", "partners", "-format", "json")), &rs); err != nil ||
		len(rs) != 2 || rs[0].RefID != "BR-1" || rs[1].RefID != "INV-1" || rs[1].Status != "20" || rs[1].SN != inv.Request.SN {
		t.Errorf("audit partners json = %+v, %v", rs, err)
	}
	recs, err := csv.NewReader(strings.NewReader(run(0, "audit", "partners", "-partner", "bank", "-format", "csv"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][0] != "trxid" || recs[1][3] != "BR-1" || recs[1][4] != partner.KindVA {
		t.Errorf("audit partners -partner bank csv = %v, %v", recs, err)
	}
	for _, args := range [][]string{
		{"-refid", "INV-1"}, {"-trxid", fmt.Sprint(inv.Request.ID)}, {"-status", "20", "-msisdn", "+62 811 0000 002"},
	} {
		out := run(0, append([]string{"audit", "partners"}, args...)...)
		if !strings.HasPrefix(out, "TRXID") || !strings.Contains(out, "INV-1") || (args[0] != "-status" && strings.Contains(out, "BR-1")) {
			t.Errorf("audit partners %v =\n%s", args, out)
		}
	}
	if out := run(0, "audit", "partners", "-status", "pending"); strings.Contains(out, "INV-1") || strings.Contains(out, "BR-1") {
		t.Errorf("audit partners -status pending =\n%s", out)
	}

	var cs []report.CallbackRecord
	if err := json.Unmarshal([]byte(run(0, "audit", "callbacks", "-status", "dead", "-format", "json")), &cs); err != nil ||
		len(cs) != 1 || cs[0].TrxID != va.Request.ID || cs[0].RefID != "BR-1" || cs[0].LastError != "partner answered 410 Gone" {
		t.Errorf("audit callbacks -status dead = %+v, %v", cs, err)
	}
	out := run(0, "audit", "callbacks", "-trxid", fmt.Sprint(inv.Request.ID))
	if !strings.Contains(out, "INV-1") || !strings.Contains(out, "sent") || strings.Contains(out, "BR-1") {
		t.Errorf("audit callbacks -trxid =\n%s", out)
	}

	// The transaction of an immediate credit names its request.
	var tr report.TransactionRecord
	if err := json.Unmarshal([]byte(run(0, "audit", "transfer", fmt.Sprint(inv.Request.TransferID), "-format", "json")), &tr); err != nil ||
		tr.Partner == nil || tr.Partner.RefID != "INV-1" || len(tr.Callbacks) != 1 || tr.Callbacks[0].Status != partner.CallbackSent {
		t.Errorf("audit transfer json = %+v, %v", tr, err)
	}
	out = run(0, "audit", "transfer", fmt.Sprint(inv.Request.TransferID))
	for _, want := range []string{"partner_request", "partner_result", "callback_sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit transfer lacks %s:\n%s", want, out)
		}
	}

	// Bad filters are usage errors naming the flag.
	for _, args := range [][]string{
		{"audit", "partners", "-status", "lost"},
		{"audit", "partners", "-trxid", "x"},
		{"audit", "partners", "-msisdn", "abc"},
		{"audit", "callbacks", "-status", "failed"},
		{"audit", "callbacks", "-msisdn", "08110000002"}, // not a filter of the outbox
	} {
		out := run(2, args...)
		if flag := args[2]; !strings.Contains(out, flag) {
			t.Errorf("smsgw %v does not name %s:\n%s", args, flag, out)
		}
	}
	if out := run(0, "audit", "partners", "-format", "json", "-since", "2000-01-01", "-until", "2000-01-02"); strings.TrimSpace(out) != "[]" {
		t.Errorf("audit partners of an empty period = %q", out)
	}
	if strings.Contains(run(0, "audit", "partners", "-format", "json")+run(0, "audit", "callbacks", "-format", "csv"), pin) {
		t.Errorf("the partner views show the customer's PIN")
	}
	// `smsgw partner` shows its times in display.timezone (Asia/Jakarta by
	// default), as `smsgw audit` does.
	created := rs[1].Time.Format(time.RFC3339)
	if !strings.HasSuffix(created, "+07:00") {
		t.Fatalf("audit partners time = %s, want display.timezone (+07:00)", created)
	}
	for _, args := range [][]string{{"partner", "list"}, {"partner", "status", "reseller", "INV-1"}} {
		if out := run(0, args...); !strings.Contains(out, created) {
			t.Errorf("smsgw %v does not show the created time %s:\n%s", args, created, out)
		}
	}
	out = run(0, "partner", "callbacks", "-dead")
	if !strings.Contains(out, cs[0].Deadline.Format(time.RFC3339)) || strings.Contains(out, "Z ") {
		t.Errorf("partner callbacks -dead does not show the deadline %s in display.timezone:\n%s",
			cs[0].Deadline.Format(time.RFC3339), out)
	}
}
