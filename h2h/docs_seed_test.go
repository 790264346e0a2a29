package h2h_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
)

// seedAnswers plays the examples of docs/h2h.md §11 against the handler
// and returns our answer to each seed format, keyed "seed name".
func seedAnswers(t *testing.T) map[string]string {
	t.Helper()
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnvAuth(t, site.srv.URL+"/report", func(o *partner.Options) {
		for i := range o.Partners {
			if o.Partners[i].ID == "text" {
				o.Partners[i].Mode = partner.ModeConfirm
			}
		}
	}, func(id string, p *h2h.Partner) {
		if id == "kios" {
			p.LegacyPlainPIN, p.MaxAddresses, p.Allow = true, 1, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}
	})
	e.deposit("kios", 100000)
	plain := func(refid, product string) string {
		return "/h2h/trx?memberid=kios&dest=" + wallet + "&product=" + product + "&refid=" + refid + "&pin=" +
			url.QueryEscape(kiosPIN) + "&password=" + url.QueryEscape(kiosPass)
	}
	out := map[string]string{}
	out["004 request"] = "GET " + strings.NewReplacer(url.QueryEscape(kiosPIN), "…", url.QueryEscape(kiosPass), "…").Replace(plain("64525223", "IP50"))
	out["004 success"] = e.textAnswer(req{method: http.MethodGet, uri: plain("64525223", "IP50")})
	out["004 double"] = e.textAnswer(req{method: http.MethodGet, uri: plain("64525223", "IP50")})
	out["004 failed"] = e.textAnswer(req{method: http.MethodGet, uri: plain("64525224", "IP100")})
	out["004 pending"] = e.textAnswer(req{uri: "/h2h/trx", body: trxBody("text", "IP50", payer, "INV-1002"), key: textKey})
	e.clk.Add(partner.DefaultPendingMax)
	if _, err := e.svc.Recheck(t.Context(), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	out["004 unknown"] = e.textAnswer(req{method: http.MethodGet, uri: "/h2h/status?memberid=text&refid=INV-1002", key: textKey})
	if n, err := e.svc.SendCallbacks(t.Context()); err != nil || n != 2 {
		t.Fatalf("SendCallbacks = %d, %v; want the reports of the success and the failure", n, err)
	}
	var reports []string
	for _, c := range site.calls() {
		reports = append(reports, c.method+" "+c.uri)
	}
	sort.Strings(reports) // sent in parallel: in trxid order
	out["002 report"] = strings.Join(reports, " and ")
	return out
}

// TestDocsSeedTable: docs/h2h.md §11 shows each seed line, as seeds.json
// has it, next to our answer, as the handler gives it.
func TestDocsSeedTable(t *testing.T) {
	doc := readDocs(t)
	start := strings.Index(doc, "## 11. Seed lines and our answers")
	if start < 0 {
		t.Fatal("docs/h2h.md has no section 11")
	}
	rows := map[string][2]string{}
	for _, l := range strings.Split(doc[start:], "\n") {
		cells := strings.Split(l, " | ")
		if len(cells) != 4 || !strings.HasPrefix(l, "| 00") {
			continue
		}
		key := strings.TrimPrefix(cells[0], "| ") + " " + cells[1]
		rows[key] = [2]string{strings.Trim(cells[2], "`"), strings.Trim(strings.TrimSuffix(cells[3], " |"), "`")}
	}
	answers := seedAnswers(t)
	for _, f := range h2h.SeedFormats {
		key := f.Seed + " " + f.Name
		row, ok := rows[key]
		if !ok {
			t.Errorf("§11 has no row for seed %s", key)
			continue
		}
		if want := seedLine(t, f.Name).Line; row[0] != want {
			t.Errorf("§11 %s shows the seed line\n%q\nseeds.json has\n%q", key, row[0], want)
		}
		if got := answers[key]; row[1] != got {
			t.Errorf("§11 %s shows our answer\n%q\nthe handler gives\n%q", key, row[1], got)
		}
	}
	if len(rows) != len(h2h.SeedFormats) {
		t.Errorf("§11 has %d rows, want %d", len(rows), len(h2h.SeedFormats))
	}
}
