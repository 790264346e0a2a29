package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/metrics"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// reconcileConfig has three partners: a reseller funded from its
// deposit, one whose customers confirm by PIN, and a bank confirming VA
// payments.
const reconcileConfig = `
[h2h]
enabled = true
cutoff = "off"
reconcile_dir = "recon"
[[h2h.partner]]
id = "reseller"
secret_env = "RECON_SECRET"
allow = ["127.0.0.1"]
callback_url = "http://127.0.0.1:9/cb"
[[h2h.partner]]
id = "mitra"
mode = "confirm"
secret_env = "RECON_SECRET"
allow = ["127.0.0.1"]
callback_url = "http://127.0.0.1:9/cb"
[[h2h.partner]]
id = "bank"
va = true
secret_env = "RECON_SECRET"
allow = ["127.0.0.1"]
callback_url = "http://127.0.0.1:9/cb"
[database]
path = "gw.db"
`

// reconcileFixture makes partner requests through the partner service on
// the configured database and returns the config path and today's date in
// h2h.timezone.
func reconcileFixture(t *testing.T) (cfgPath, today string) {
	t.Helper()
	ctx := t.Context()
	t.Setenv("SMSGW_PIN_KEY", e2eKey)
	cfgPath = writeConfig(t, fmt.Sprintf(consoleBase, false)+reconcileConfig)
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	gw, closeStore, err := adminGateway(ctx, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	svc, err := partner.New(gw, cfg.H2H.partnerOptions(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := gw.AddCustomer(ctx, e2ePayer, e2ePayer, "Ani", domain.PIN(e2ePIN)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deposit(ctx, smsgw.Actor{Name: "cli:test", Role: "admin"}, "reseller", 1_000_000, "TRF-1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ partner, refid, product string }{
		{"reseller", "INV-1", "IP50"}, {"reseller", "INV-2", "IP50"}, {"reseller", "INV-3", "IP50"},
		{"reseller", "INV-4", "IP100"}, {"mitra", "CONF-1", "IP75"},
	} {
		res, err := svc.TopUp(ctx, partner.TopUpRequest{Partner: tc.partner, RefID: tc.refid, Product: tc.product, Dest: e2ePayer})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.partner, tc.refid, err)
		}
		want := partner.Success
		if tc.partner == "mitra" {
			want = partner.Pending
		}
		if res.Request.State != want {
			t.Fatalf("%s %s = %s, want %s", tc.partner, tc.refid, res.Request.State, want)
		}
	}
	now := time.Now()
	for _, va := range []partner.VAPayment{
		{Partner: "bank", VA: "0138877" + e2ePayer, Amount: 100_000, BankRef: "BR-1", PaidAt: now},
		{Partner: "bank", VA: "0138877" + e2ePayer, Amount: 100_000, BankRef: "BR-OLD", PaidAt: now.Add(-24 * time.Hour)},
	} {
		if _, err := svc.PayVA(ctx, va); err != nil {
			t.Fatalf("%s: %v", va.BankRef, err)
		}
	}
	return cfgPath, now.In(cfg.H2H.cutoff.Location).Format(time.DateOnly)
}

// TestReconcileCLI reconciles partner requests made through the partner
// service with settlement files holding every kind of mismatch, in the
// three formats, and checks the exit statuses.
func TestReconcileCLI(t *testing.T) {
	ctx := t.Context()
	cfg, today := reconcileFixture(t)
	dir := filepath.Dir(cfg)
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "-config", cfg)
		if got := Main(ctx, args, strings.NewReader(""), &out, &errb); got != want {
			t.Fatalf("smsgw %v = %d, want %d\n%s%s", args, got, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}

	// Our side only: every request of the day, exit 0.
	out, _ := run(0, "partner", "reconcile", "reseller", "-date", today)
	for _, want := range []string{"partner     reseller", "(Asia/Jakarta)", "our side only", "INV-1", "INV-4", "ours  success  4      250000"} {
		if !strings.Contains(out, want) {
			t.Errorf("our side lacks %q:\n%s", want, out)
		}
	}

	// Every kind of mismatch of a reseller: exit 3.
	settlement := file("reseller.csv", "\ufeffrefid,amount,status,time\r\n"+
		"inv-1,50000,success,"+today+" 08:00:00\r\n"+ // matched, in another letter case
		"INV-2,55000,success,\r\n"+ // amount
		"INV-3,50000,failed,\r\n"+ // state
		"INV-X,20000,success,\r\n"+ // missing on our side
		"INV-1,50000,20,\r\n") // duplicate; INV-4 is missing on theirs
	out, stderr := run(3, "partner", "reconcile", "reseller", "-date", today, "-file", settlement, "-format", "json")
	if !strings.Contains(stderr, "partner reseller on "+today+": 5 mismatch(es)") {
		t.Errorf("stderr = %q", stderr)
	}
	var rep report.ReconReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, it := range rep.Items {
		got[it.RefID+"/"+it.Match] = it.OurState + "/" + it.TheirStatus
	}
	want := map[string]string{
		"INV-X/missing_ours": "/success", "INV-4/missing_theirs": "success/", "INV-3/state": "success/failed",
		"INV-2/amount": "success/success", "INV-1/duplicate": "/success", "inv-1/matched": "success/success",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || rep.Mismatches != 5 || !rep.Settled || rep.Settlement != "reseller.csv" ||
		rep.Rows != 5 || rep.Date != today || rep.Timezone != "Asia/Jakarta" {
		t.Errorf("report = %+v\nitems %v", rep, got)
	}
	if rep.Items[0].Match != "missing_ours" || rep.Items[len(rep.Items)-1].Match != "matched" {
		t.Errorf("items are not mismatches first: %v", rep.Items)
	}
	counts := rep.MismatchCounts()
	if counts["amount"] != 1 || counts["duplicate"] != 1 || counts["open"] != 0 || len(counts) != 7 {
		t.Errorf("mismatch counts = %v", counts)
	}
	out, _ = run(3, "partner", "reconcile", "reseller", "-date", today, "-file", settlement, "-format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 7 || strings.Join(recs[0], ",") != strings.Join(report.ReconColumns(), ",") ||
		recs[1][0] != "missing_ours" || recs[1][1] != "INV-X" || recs[1][8] != "20000" || recs[1][11] != "5" {
		t.Errorf("csv = %v, %v", recs, err)
	}
	out, _ = run(3, "partner", "reconcile", "reseller", "-date", today, "-file", settlement)
	for _, want := range []string{"result      5 mismatch(es)", "amount: ours 50000, theirs 55000 (+5000)", "MATCH", "missing_theirs  1      100000      0             yes", "theirs  success  3      125000"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// -out writes the report to a file.
	target := filepath.Join(dir, "report.json")
	if out, _ := run(3, "partner", "reconcile", "reseller", "-date", today, "-file", settlement, "-format", "json", "-out", target); out != "" {
		t.Errorf("-out also printed %q", out)
	}
	if b, err := os.ReadFile(target); err != nil || !json.Valid(b) {
		t.Errorf("-out file: %v", err)
	}

	// A bank: by payment time; a payment of yesterday listed today is of
	// another day; a clean file exits 0.
	clean := file("bank.csv", "refid,amount,status\nBR-1,100000,success\n")
	out, _ = run(0, "partner", "reconcile", "bank", "-date", today, "-file", clean)
	if !strings.Contains(out, "everything matches") || strings.Contains(out, "BR-OLD") {
		t.Errorf("clean bank =\n%s", out)
	}
	late := file("bank-late.csv", "refid,amount,status\nBR-1,100000,success\nbr-old,100000,success\n")
	out, _ = run(3, "partner", "reconcile", "bank", "-date", today, "-file", late, "-format", "csv")
	if !strings.Contains(out, "other_day,br-old,") {
		t.Errorf("late bank =\n%s", out)
	}
	yesterday, _ := time.Parse(time.DateOnly, today)
	out, _ = run(0, "partner", "reconcile", "bank", "-date", yesterday.AddDate(0, 0, -1).Format(time.DateOnly))
	if !strings.Contains(out, "BR-OLD") || strings.Contains(out, "BR-1 ") {
		t.Errorf("bank yesterday =\n%s", out)
	}

	// A pending request is open, in the file or not.
	empty := file("empty.csv", "refid,amount,status\r\n")
	out, _ = run(3, "partner", "reconcile", "mitra", "-date", today, "-file", empty, "-format", "csv")
	if !strings.Contains(out, "open,CONF-1,") {
		t.Errorf("mitra =\n%s", out)
	}

	// Errors: a bad file names line and column (exit 1); usage errors exit 2.
	bad := file("bad.csv", "refid,amount,status\nA,5000,success\nB,5.000,success\n")
	if _, stderr := run(1, "partner", "reconcile", "reseller", "-date", today, "-file", bad); !strings.Contains(stderr, "bad.csv: settlement file: line 3, column amount") {
		t.Errorf("bad file: %s", stderr)
	}
	run(1, "partner", "reconcile", "reseller", "-date", today, "-file", filepath.Join(dir, "nonexistent.csv"))
	for _, args := range [][]string{
		{"partner", "reconcile"},
		{"partner", "reconcile", "nobody", "-date", today},
		{"partner", "reconcile", "reseller", "-date", "02-12-2026"},
		{"partner", "reconcile", "reseller", "-format", "xml"},
		{"partner", "reconcile", "reseller", "bank"},
	} {
		run(2, args...)
	}
	if out, _ := run(0, "partner", "reconcile", "-h"); !strings.Contains(out, "exit status: 0 everything matches") {
		t.Errorf("reconcile -h = %q", out)
	}
}

// TestReconcileJob runs the daily job for yesterday: a report for every
// partner, against the settlement file where there is one, the same again
// when re-run, and the mismatches in the metrics.
func TestReconcileJob(t *testing.T) {
	ctx := t.Context()
	cfgPath, today := reconcileFixture(t)
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	gw, closeStore, err := adminGateway(ctx, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	reg := prometheus.NewRegistry()
	day, _ := time.ParseInLocation(time.DateOnly, today, cfg.H2H.cutoff.Location)
	a := &App{Config: cfg, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return day.Add(25*time.Hour + 30*time.Minute) },
		gw: gw, mets: metrics.New(reg)}
	dir := filepath.Join(filepath.Dir(cfgPath), "recon")
	if err := os.MkdirAll(filepath.Join(dir, "reseller"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reseller", today+".csv"),
		[]byte("refid,amount,status\nINV-1,50000,success\nINV-2,50000,success\nINV-3,50000,success\nINV-4,90000,success\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.reconcileJob(ctx); err != nil {
		t.Fatal(err)
	}
	first := map[string][]byte{}
	for _, p := range []string{"reseller", "mitra", "bank"} {
		for _, ext := range []string{".report.json", ".report.csv"} {
			name := filepath.Join(dir, p, today+ext)
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			first[name] = b
		}
	}
	var rep report.ReconReport
	if err := json.Unmarshal(first[filepath.Join(dir, "reseller", today+".report.json")], &rep); err != nil ||
		!rep.Settled || rep.Mismatches != 1 || rep.Items[0].Match != "amount" || rep.Items[0].RefID != "INV-4" {
		t.Errorf("reseller report = %+v, %v", rep, err)
	}
	if err := json.Unmarshal(first[filepath.Join(dir, "bank", today+".report.json")], &rep); err != nil ||
		rep.Settled || len(rep.Items) != 1 || rep.Items[0].RefID != "BR-1" {
		t.Errorf("bank report = %+v, %v", rep, err)
	}
	// Again: the same reports, and no temporary file left behind.
	if err := a.reconcileJob(ctx); err != nil {
		t.Fatal(err)
	}
	for name, b := range first {
		if again, err := os.ReadFile(name); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s changed on a re-run: %v", name, err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "reseller"))
	if len(ents) != 3 {
		t.Errorf("reseller dir holds %d files, want the settlement and two reports", len(ents))
	}
	if got := testutil.ToFloat64(gaugeOf(t, reg, "smsgw_reconcile_mismatches", "reseller", "amount")); got != 1 {
		t.Errorf("mismatches{reseller,amount} = %v", got)
	}
	mfs, _ := reg.Gather()
	var runs strings.Builder
	for _, mf := range mfs {
		if mf.GetName() == "smsgw_reconcile_runs_total" {
			for _, m := range mf.GetMetric() {
				fmt.Fprintf(&runs, "%s=%s:%v ", m.GetLabel()[0].GetValue(), m.GetLabel()[1].GetValue(), m.GetCounter().GetValue())
			}
		}
	}
	if runs.String() != "bank=no_file:2 mitra=no_file:2 reseller=mismatch:2 " {
		t.Errorf("runs = %s", runs.String())
	}

	// A bad settlement file fails that partner only, and is counted.
	if err := os.WriteFile(filepath.Join(dir, "bank", today+".csv"), []byte("refid,amount\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.reconcileJob(ctx); err == nil || !strings.Contains(err.Error(), "column status: missing") {
		t.Errorf("job with a bad bank file = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bank", today+".report.json")); err == nil {
		t.Error("the bank's earlier report is left after a failed run")
	}
	if _, err := os.Stat(filepath.Join(dir, "reseller", today+".report.json")); err != nil {
		t.Errorf("the reseller's report: %v", err)
	}
}

// gaugeOf returns the collector-free value of a gauge series as a
// prometheus.Collector for testutil.
func gaugeOf(t *testing.T, reg *prometheus.Registry, name, partnerID, kind string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var p, k string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "partner":
					p = lp.GetValue()
				case "kind":
					k = lp.GetValue()
				}
			}
			if p == partnerID && k == kind {
				g.Set(m.GetGauge().GetValue())
			}
		}
	}
	return g
}
