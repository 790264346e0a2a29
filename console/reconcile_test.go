package console_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/report"
)

// postSettlement posts the reconciliation form with a settlement file
// (none when file is ""), as a browser does.
func (c *client) postSettlement(fields map[string]string, file string) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			c.t.Fatal(err)
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile("settlement", `C:\finance\conf-2025-03-01.csv`)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write([]byte(file))
	}
	mw.Close()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.h.srv.URL+"/console/partners/reconcile", &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestReconcilePage: a viewer reconciles a partner's day on the console,
// with and without a settlement file, and exports it.
func TestReconcilePage(t *testing.T) {
	h := newPartnerHarness(t)
	viewer := h.viewer()

	page := viewer.get("/console/partners/reconcile")
	for _, want := range []string{`id="reconcile-form"`, `enctype="multipart/form-data"`, `id="reconcile-file"`,
		`value="2025-02-28"`, `<option value="conf">`} {
		if page.status != http.StatusOK || !strings.Contains(page.body, want) {
			t.Errorf("form page (%d) lacks %s", page.status, want)
		}
	}
	if strings.Contains(page.body, `id="reconcile-report"`) {
		t.Error("a report without a partner")
	}
	if !strings.Contains(viewer.get("/console/partners").body, `id="reconcile-link"`) {
		t.Error("the partner requests page does not link the reconciliation")
	}

	// Our side only.
	page = viewer.get("/console/partners/reconcile?partner=conf&date=2025-03-01")
	for _, want := range []string{`data-settled="false"`, `data-refid="C-1"`, `data-refid="C-2"`, `data-refid="C-3"`,
		`<tr data-side="ours" data-state="pending">`, `id="export-csv"`, fmt.Sprintf(`href="/console/partners/%d"`, h.conf.ID)} {
		if !strings.Contains(page.body, want) {
			t.Errorf("our side lacks %s:\n%s", want, page.body)
		}
	}
	res := viewer.get("/console/partners/reconcile?partner=conf&date=2025-03-01&format=csv")
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(report.ReconColumns(), ",") ||
		!strings.Contains(res.header.Get("Content-Disposition"), "smsgw-reconcile-conf-2025-03-01.csv") {
		t.Errorf("our side CSV = %v, %v", recs, err)
	}

	// With a settlement file: every kind the data allows.
	file := "\ufeffrefid,amount,status,time\r\nc-1,75000,success,2025-03-01 10:03:00\r\nC-3,50000,success,\r\nC-9,1000,success,\r\n"
	page = viewer.postSettlement(map[string]string{"csrf": viewer.csrf, "partner": "conf", "date": "2025-03-01"}, file)
	for _, want := range []string{`data-settled="true" data-mismatches="3"`, "conf-2025-03-01.csv (3 rows)",
		`<tr class="recon-row" data-match="missing_ours" data-refid="C-9">`, `data-match="state" data-refid="C-3"`,
		`data-match="open" data-refid="C-2"`, `data-match="matched" data-refid="c-1"`,
		`<tr data-match="state" data-count="1" class="mismatch">`} {
		if page.status != http.StatusOK || !strings.Contains(page.body, want) {
			t.Errorf("reconciliation (%d) lacks %s:\n%s", page.status, want, page.body)
		}
	}
	res = viewer.postSettlement(map[string]string{"csrf": viewer.csrf, "partner": "conf", "date": "2025-03-01", "format": "json"}, file)
	var rep report.ReconReport
	if err := json.Unmarshal([]byte(res.body), &rep); err != nil || rep.Mismatches != 3 || !rep.Settled || len(rep.Items) != 4 ||
		!strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		t.Errorf("JSON export = %+v, %v", rep, err)
	}

	// Refusals.
	for _, tc := range []struct {
		fields map[string]string
		file   string
		status int
		want   string
	}{
		{map[string]string{"partner": "conf", "date": "2025-03-01"}, file, http.StatusForbidden, "The form has expired"},
		{map[string]string{"csrf": viewer.csrf, "partner": "conf", "date": "2025-03-01"}, "refid,amount,status\nA,5.000,success\n",
			http.StatusBadRequest, "line 2, column amount"},
		{map[string]string{"csrf": viewer.csrf, "partner": "conf", "date": "1.3.2025"}, file, http.StatusBadRequest, "YYYY-MM-DD"},
		{map[string]string{"csrf": viewer.csrf, "date": "2025-03-01"}, file, http.StatusBadRequest, "Choose a partner"},
		{map[string]string{"csrf": viewer.csrf, "partner": "../x", "date": "2025-03-01"}, file, http.StatusBadRequest, "No such partner"},
	} {
		res := viewer.postSettlement(tc.fields, tc.file)
		if res.status != tc.status || !strings.Contains(htmlUnescape(res.body), tc.want) {
			t.Errorf("POST %v = %d, want %d with %q", tc.fields, res.status, tc.status, tc.want)
		}
	}
}

// TestReconcileUploadBound: a settlement file over the bound is refused.
func TestReconcileUploadBound(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.MaxSettlement = 1024 })
	viewer := h.viewer()
	big := "refid,amount,status\n" + strings.Repeat("R-1,5000,success\n", 5000)
	res := viewer.postSettlement(map[string]string{"csrf": viewer.csrf, "partner": "demo", "date": "2025-03-01"}, big)
	if res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("large upload = %d, want 413", res.status)
	}
	// Just under the form bound, over the file bound: the parser refuses it.
	mid := "refid,amount,status\n" + strings.Repeat("R-1,5000,success\n", 100)
	res = viewer.postSettlement(map[string]string{"csrf": viewer.csrf, "partner": "demo", "date": "2025-03-01"}, mid)
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "larger than 1024 bytes") {
		t.Errorf("upload over the file bound = %d\n%s", res.status, res.body)
	}
}
