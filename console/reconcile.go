package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
)

// Daily reconciliation of a partner: GET shows the form and, with partner
// and date, our side of that day (exports ?format=csv|json); POST adds
// the partner's settlement file (multipart field "settlement") and shows,
// or with the form's format field exports, the reconciliation. Nothing is
// stored: the page only reads.

type reconBody struct {
	Partners  []string // configured partners, for the form
	Partner   string
	Date      string
	Zone      string // of the partners' days
	MaxBytes  int64
	Report    *report.ReconReport
	CSV, JSON string // exports of our side
}

func (c *Console) reconcilePage(w http.ResponseWriter, r *http.Request, s *session) {
	loc := c.o.PartnerLocation
	b := &reconBody{Partners: c.partnerIDs(), Zone: loc.String(), MaxBytes: c.o.MaxSettlement}
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		form = r.PostForm
	}
	b.Partner, b.Date = strings.TrimSpace(form.Get("partner")), strings.TrimSpace(form.Get("date"))
	format := form.Get("format")
	if b.Date == "" {
		b.Date = partner.DayOf(c.o.Now().In(loc).AddDate(0, 0, -1), loc).Date
	}
	show := func(status int, msg string) {
		d := c.data(s, "Partner reconciliation", report.ViewPartners, b)
		d.Error = msg
		c.render(w, r, status, "reconcile", d)
	}
	if b.Partner == "" {
		if r.Method == http.MethodPost || format != "" {
			show(http.StatusBadRequest, "Choose a partner.")
			return
		}
		show(http.StatusOK, "")
		return
	}
	if !validPartnerID(b.Partner) {
		show(http.StatusBadRequest, "No such partner.")
		return
	}
	day, err := partner.ParseDay(b.Date, loc)
	if err != nil {
		show(http.StatusBadRequest, "The date must be YYYY-MM-DD.")
		return
	}
	o := report.ReconcileOptions{Partner: b.Partner, Day: day}
	if r.Method == http.MethodPost {
		f, hdr, err := r.FormFile("settlement")
		switch {
		case errors.Is(err, http.ErrMissingFile):
		case err != nil:
			show(http.StatusBadRequest, "The settlement file could not be read.")
			return
		default:
			defer f.Close()
			rows, err := partner.ParseSettlement(f, partner.SettlementOptions{Location: loc, MaxBytes: c.o.MaxSettlement})
			var se *partner.SettlementError
			if errors.As(err, &se) {
				show(http.StatusBadRequest, "The settlement file was refused: "+strings.TrimPrefix(se.Error(), "settlement file: ")+".")
				return
			} else if err != nil {
				c.internal(w, r, s, fmt.Errorf("settlement upload: %w", err))
				return
			}
			if rows == nil {
				rows = []partner.SettlementRow{}
			}
			o.Settlement, o.SettlementName = rows, uploadName(hdr.Filename)
		}
	}
	rep, err := report.Reconcile(r.Context(), c.o.Store, o)
	if err != nil {
		c.internal(w, r, s, fmt.Errorf("reconcile %s %s: %w", b.Partner, b.Date, err))
		return
	}
	if format != "" {
		f, ok := exportFormat(w, format)
		if !ok {
			return
		}
		name := fmt.Sprintf("smsgw-reconcile-%s-%s.%s", b.Partner, day.Date, f)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		if err := report.WriteReconciliation(w, f, rep); err != nil {
			c.log.Error("console reconcile export failed", "partner", b.Partner, "date", day.Date, "user", s.user.name, "err", err)
			return
		}
		c.log.Info("console reconcile export", "partner", b.Partner, "date", day.Date, "format", f,
			"settled", rep.Settled, "mismatches", rep.Mismatches, "user", s.user.name)
		return
	}
	b.Report = rep
	q := url.Values{"partner": {b.Partner}, "date": {day.Date}}
	b.CSV, b.JSON = exportURL("/console/partners/reconcile", q, report.FormatCSV), exportURL("/console/partners/reconcile", q, report.FormatJSON)
	show(http.StatusOK, "")
}

// validPartnerID accepts what a partner id may be (letters, digits and
// ._-, up to 32).
func validPartnerID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
}

// uploadName is the base name of an uploaded file, clipped, for display.
func uploadName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if len(name) > 80 {
		name = name[:80]
	}
	if name == "" {
		name = "settlement.csv"
	}
	return name
}
