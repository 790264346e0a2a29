package console_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

func TestExports(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	for _, tc := range []struct {
		path    string
		rows    int    // all rows of the filtered view, more than one page
		header  string // first CSV columns
		idField string
	}{
		{"/console/sms", 13, "id,time,direction", "id"},
		{"/console/sms?msisdn=" + payerA, 6, "id,time,direction", "id"},
		{"/console/sms?direction=out&offset=4", 7, "id,time,direction", "id"}, // the whole view, not the page
		{"/console/sessions", 3, "id,created,msisdn", "id"},
		{"/console/sessions?state=expired", 1, "id,created,msisdn", "id"},
		{"/console/customers", 3, "msisdn,name,account", "msisdn"},
		{"/console/ledger?account=settlement:bank", 2, "entry_id,time,account", "entry_id"},
		{"/console/audit", 2, "id,time,actor", "id"}, // two logins: this one and the viewer's
	} {
		if strings.HasPrefix(tc.path, "/console/audit") {
			h.viewer() // second login
		}
		sep := "?"
		if strings.Contains(tc.path, "?") {
			sep = "&"
		}
		res := c.get(tc.path + sep + "format=csv")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
			t.Errorf("CSV %s = %d %s", tc.path, res.status, res.header.Get("Content-Type"))
			continue
		}
		if cd := res.header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="smsgw-[a-z]+-\d{8}-\d{6}\.csv"$`).MatchString(cd) {
			t.Errorf("CSV %s Content-Disposition = %q", tc.path, cd)
		}
		recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil {
			t.Errorf("CSV %s: %v\n%s", tc.path, err, res.body)
			continue
		}
		if got := strings.Join(recs[0], ","); !strings.HasPrefix(got, tc.header) {
			t.Errorf("CSV %s header = %s, want it to start with %s", tc.path, got, tc.header)
		}
		if len(recs)-1 != tc.rows {
			t.Errorf("CSV %s has %d rows, want %d", tc.path, len(recs)-1, tc.rows)
		}
		res = c.get(tc.path + sep + "format=json")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Errorf("JSON %s = %d %s", tc.path, res.status, res.header.Get("Content-Type"))
			continue
		}
		var objs []map[string]any
		if err := json.Unmarshal([]byte(res.body), &objs); err != nil {
			t.Errorf("JSON %s: %v\n%s", tc.path, err, res.body)
			continue
		}
		if len(objs) != tc.rows {
			t.Errorf("JSON %s has %d objects, want %d", tc.path, len(objs), tc.rows)
		}
		// CSV and JSON hold the same rows in the same order.
		for i, o := range objs {
			if i+1 < len(recs) && fmt.Sprint(o[tc.idField]) != recs[i+1][0] {
				t.Errorf("%s row %d: JSON %s=%v, CSV %s", tc.path, i, tc.idField, o[tc.idField], recs[i+1][0])
			}
		}
	}
	// Field values, spot-checked.
	var sms []report.SMSRecord
	if err := json.Unmarshal([]byte(c.get("/console/sms?keyword=success&format=json").body), &sms); err != nil || len(sms) != 1 {
		t.Fatalf("JSON success messages = %v, %v", sms, err)
	}
	if m := sms[0]; m.MSISDN != payerAN || m.Status != smsgw.MsgDelivered || m.SessionID != h.sessA || m.TransferID != h.transferA ||
		!slices.Equal(m.SMSCIDs, []string{"mt-3"}) || !m.Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("exported success message = %+v", m)
	}
	if _, off := sms[0].Time.Zone(); off != 7*3600 {
		t.Errorf("exported time zone offset %d, want the console's (+7h)", off)
	}
	var ledger []report.LedgerRecord
	if err := json.Unmarshal([]byte(c.get("/console/ledger?account="+payerC+"&format=json").body), &ledger); err != nil || len(ledger) != 1 {
		t.Fatalf("JSON ledger of C = %v, %v", ledger, err)
	}
	if l := ledger[0]; l.Amount != 150_000 || l.BalanceAfter != 150_000 || l.RunningSum != 150_000 || l.Kind != partner.TransferBankVA || l.Reference != "VA-1" || l.Counterparty != "settlement:bank" {
		t.Errorf("exported ledger line = %+v", l)
	}
	var customers []map[string]any
	_ = json.Unmarshal([]byte(c.get("/console/customers?format=json").body), &customers)
	for _, cu := range customers {
		for k := range cu {
			if strings.Contains(strings.ToLower(k), "pin_hash") || strings.Contains(strings.ToLower(k), "salt") {
				t.Errorf("customer export has field %s", k)
			}
		}
	}
	// The transaction exports.
	var tx report.TransactionRecord
	if err := json.Unmarshal([]byte(c.get(fmt.Sprintf("/console/tx/%d?format=json", h.sessA)).body), &tx); err != nil {
		t.Fatal(err)
	}
	if tx.Session == nil || tx.Session.State != "confirmed" || tx.Transfer == nil || tx.Transfer.Amount != 50_000 || len(tx.Entries) != 2 || len(tx.Steps) != 9 {
		t.Errorf("transaction export = %+v", tx)
	}
	res := c.get(fmt.Sprintf("/console/tx/%d?format=csv", h.sessA))
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil || len(recs) != 10 || strings.Join(recs[0], ",") != "time,step,label,message_id,detail,text" {
		t.Errorf("transaction CSV = %v, %v", recs, err)
	}
}

func TestEmptyExports(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	if res := c.get("/console/sms?keyword=NOPE&format=json"); strings.TrimSpace(res.body) != "[]" {
		t.Errorf("empty JSON export = %q, want []", res.body)
	}
	res := c.get("/console/sms?keyword=NOPE&format=csv")
	if recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll(); err != nil || len(recs) != 1 {
		t.Errorf("empty CSV export = %q, want the header only", res.body)
	}
}

// TestCSVFormulas checks that texts a customer controls cannot become
// spreadsheet formulas in a CSV export.
func TestCSVFormulas(t *testing.T) {
	h := newHarness(t)
	h.mo(payerB, request, `=HYPERLINK("http://x","y")`)
	h.mo(payerB, request, "-2+3")
	res := h.viewer().get("/console/sms?msisdn=" + payerB + "&direction=in&format=csv")
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	col := slices.Index(recs[0], "text")
	for _, r := range recs[1:] {
		texts = append(texts, r[col])
	}
	if !slices.Contains(texts, `'=HYPERLINK("http://x","y")`) || !slices.Contains(texts, "'-2+3") {
		t.Errorf("CSV texts = %q, want formulas defused with a leading quote", texts)
	}
	// Numbers stay numbers.
	res = h.viewer().get("/console/ledger?account=settlement:bank&format=csv")
	if !strings.Contains(res.body, ",-150000,") {
		t.Errorf("negative amounts are quoted in CSV:\n%s", res.body)
	}
}

func TestExportFunction(t *testing.T) {
	h := newHarness(t)
	opts := report.ExportOptions{Location: wib, Now: h.clk.Now()}
	var buf bytes.Buffer
	n, err := report.ExportView(t.Context(), h.store, report.ViewSMS, report.Values{"msisdn": payerA, "direction": "in"}, report.FormatTable, &buf, opts)
	if err != nil || n != 3 {
		t.Fatalf("Export(table) = %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], "SHORT_CODE") || !strings.Contains(lines[1], "****") {
		t.Errorf("table export:\n%s", buf.String())
	}
	buf.Reset()
	n, err = report.ExportView(t.Context(), h.store, report.ViewSMS, nil, report.FormatCSV, &buf, report.ExportOptions{MaxRows: 5})
	if err != nil || n != 5 || strings.Count(buf.String(), "\n") != 6 {
		t.Errorf("Export(MaxRows 5) = %d, %v\n%s", n, err, buf.String())
	}
	if _, err := report.ExportView(t.Context(), h.store, "nope", nil, report.FormatCSV, &buf, opts); err == nil {
		t.Errorf("Export(unknown view) = nil error")
	}
	_, err = report.ExportView(t.Context(), h.store, report.ViewSessions, report.Values{"state": "done"}, report.FormatCSV, &buf, opts)
	var fe *report.FilterError
	if !asFilterError(err, &fe) || fe.Field != "state" {
		t.Errorf("Export(bad state) = %v, want a FilterError for state", err)
	}
	buf.Reset()
	if err := report.ExportTransaction(t.Context(), h.store, h.transferBank, true, report.FormatTable, &buf, wib); err != nil ||
		!strings.Contains(buf.String(), "transfer") {
		t.Errorf("ExportTransaction(bank transfer) = %v\n%s", err, buf.String())
	}
	if err := report.ExportTransaction(t.Context(), h.store, 999, false, report.FormatJSON, &buf, wib); smsgw.ErrorCode(err) != smsgw.ENotFound {
		t.Errorf("ExportTransaction(unknown) = %v, want not found", err)
	}
}

func asFilterError(err error, fe **report.FilterError) bool {
	e, ok := err.(*report.FilterError)
	if ok {
		*fe = e
	}
	return ok
}

// TestPINNeverShown walks every page and export after top-ups with right
// and wrong PINs, a PIN sent to the wrong short code and a PIN change, and
// looks for the PIN digits.
func TestPINNeverShown(t *testing.T) {
	h := newHarness(t)
	const misdirected, oldPIN, changed = "736150", pinC, "604938"
	h.mo(payerC, request, misdirected)               // a PIN sent to the request code
	h.mo(payerC, request, "PIN "+oldPIN+" "+changed) // PIN change
	h.mo(payerC, request, "PIN "+oldPIN)             // malformed PIN change
	secrets := []string{pinA, wrongA, pinB, pinC, misdirected, changed}
	c := h.admin()
	pages := append(h.pagePaths(),
		fmt.Sprintf("/console/tx/%d", h.sessB), fmt.Sprintf("/console/tx/%d", h.sessC),
		"/console/sms?keyword=PIN_REPLY", "/console/sms?keyword=PIN_REPLY&format=json", "/console/sms?keyword=PIN_REPLY&format=csv",
		"/console/sms?msisdn="+payerC, "/console/sms?msisdn="+payerC+"&format=csv",
		"/console/customers/"+payerCN, "/console/ledger?account="+payerA+"&format=json")
	for _, m := range h.messages() {
		pages = append(pages, fmt.Sprintf("/console/sms/%d", m.ID))
	}
	checked := 0
	for _, p := range pages {
		res := c.get(p)
		if res.status == http.StatusSeeOther {
			res = c.get(res.header.Get("Location"))
		}
		if res.status != http.StatusOK {
			t.Errorf("GET %s = %d", p, res.status)
			continue
		}
		checked++
		for _, s := range secrets {
			if strings.Contains(res.body, s) {
				t.Errorf("GET %s shows PIN digits %s", p, s)
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d pages checked", checked)
	}
	// The redacted forms are what the log shows.
	body := c.get("/console/sms?msisdn=" + payerC + "&direction=in").body
	body += c.get("/console/sms?msisdn=" + payerC + "&direction=in&offset=4").body
	for _, want := range []string{"<td class=\"text\">PIN **** ****</td>", "<td class=\"text\">****</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("SMS log of C lacks %s", want)
		}
	}
	var buf bytes.Buffer
	for _, v := range report.Views() {
		q := report.Values{}
		if v == report.ViewLedger {
			q["account"] = "settlement:bank"
		}
		for _, f := range []report.Format{report.FormatCSV, report.FormatJSON, report.FormatTable} {
			if _, err := report.ExportView(t.Context(), h.store, v, q, f, &buf, report.ExportOptions{}); err != nil {
				t.Errorf("Export(%s, %s): %v", v, f, err)
			}
		}
	}
	for _, s := range []int64{h.sessA, h.sessB, h.sessC} {
		for _, f := range []report.Format{report.FormatCSV, report.FormatJSON, report.FormatTable} {
			if err := report.ExportTransaction(t.Context(), h.store, s, false, f, &buf, nil); err != nil {
				t.Errorf("ExportTransaction(%d, %s): %v", s, f, err)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) {
			t.Errorf("an export shows PIN digits %s", s)
		}
	}
	if buf.Len() < 5000 {
		t.Errorf("exports wrote only %d bytes", buf.Len())
	}
}
