package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Daily reconciliation of a partner: our requests of one calendar day
// (partner.Request.BusinessTime in the partner time zone) against the
// partner's settlement file, matched by partner.Reconcile.

// DefaultReconcileRequests bounds the requests of one partner and day a
// reconciliation reads when ReconcileOptions.MaxRequests is 0.
const DefaultReconcileRequests = 1_000_000

// reconcileMargin widens the creation-time window read around the day: a
// VA payment counts on the day it was paid, which may be before its
// request was created (a bank confirming late).
const reconcileMargin = 24 * time.Hour

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	Partner string
	Day     partner.Day // in the partner time zone, which is also the zone of the times shown
	// Settlement is the partner's file, parsed; nil for our side only.
	Settlement []partner.SettlementRow
	// SettlementName names the file in the report (no path needed).
	SettlementName string
	MaxRequests    int
}

// ReconReport is a partner's reconciliation of one day as shown and
// exported.
type ReconReport struct {
	Partner    string `json:"partner"`
	Date       string `json:"date"`
	Timezone   string `json:"timezone"`
	Settled    bool   `json:"settled"`    // a settlement file was compared
	Settlement string `json:"settlement"` // its name
	Rows       int    `json:"settlement_rows"`
	Mismatches int    `json:"mismatches"`

	Matches []MatchTotalRecord `json:"matches"` // per kind of match (empty without a file)
	Ours    []StateTotalRecord `json:"ours"`    // our requests of the day by state
	Theirs  []StateTotalRecord `json:"theirs"`  // the file's rows by status, without duplicates
	Items   []*ReconRecord     `json:"items"`   // mismatches first
}

// Reconcile reads the partner's requests of o.Day from st and reconciles
// them with o.Settlement. It reads in one transaction; a refid of the file
// that is not among the day's requests is looked up whatever its day, to
// tell "other day" from "missing on our side".
func Reconcile(ctx context.Context, st smsgw.Store, o ReconcileOptions) (*ReconReport, error) {
	if o.MaxRequests <= 0 {
		o.MaxRequests = DefaultReconcileRequests
	}
	loc := o.Day.Start.Location()
	var rc *partner.Reconciliation
	err := st.View(ctx, func(stx smsgw.Tx) error {
		tx, ok := stx.(partner.RequestStore)
		if !ok {
			return fmt.Errorf("partner: store transaction %T does not implement partner.RequestStore", stx)
		}
		f := partner.RequestFilter{Partner: o.Partner, Since: o.Day.Start.Add(-reconcileMargin), Until: o.Day.End.Add(reconcileMargin)}
		var ours []partner.Request
		read := 0
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			f.Limit, f.Offset = exportBatch, read
			batch, err := tx.PartnerRequests(f)
			if err != nil {
				return err
			}
			read += len(batch)
			if read > o.MaxRequests+2*exportBatch {
				return fmt.Errorf("reconcile: more than %d requests of partner %s around %s", o.MaxRequests, o.Partner, o.Day.Date)
			}
			for _, r := range batch {
				if o.Day.Contains(r.BusinessTime()) {
					ours = append(ours, r)
				}
			}
			if len(ours) > o.MaxRequests {
				return fmt.Errorf("reconcile: more than %d requests of partner %s on %s", o.MaxRequests, o.Partner, o.Day.Date)
			}
			if len(batch) < exportBatch {
				break
			}
		}
		var lookupErr error
		elsewhere := func(refid string) (*partner.Request, bool) {
			r, err := tx.PartnerRequestByRef(o.Partner, refid)
			if err != nil {
				if smsgw.ErrorCode(err) != smsgw.ENotFound && lookupErr == nil {
					lookupErr = err
				}
				return nil, false
			}
			return r, true
		}
		rc = partner.Reconcile(ours, o.Settlement, elsewhere)
		return lookupErr
	})
	if err != nil {
		return nil, err
	}
	rep := &ReconReport{Partner: o.Partner, Date: o.Day.Date, Timezone: loc.String(), Settled: rc.Settled,
		Settlement: o.SettlementName, Rows: len(o.Settlement), Mismatches: rc.Mismatches,
		Matches: []MatchTotalRecord{}, Ours: stateRecords(rc.Ours), Theirs: stateRecords(rc.Theirs), Items: []*ReconRecord{}}
	for _, t := range rc.Matches {
		rep.Matches = append(rep.Matches, MatchTotalRecord{Match: string(t.Match), Count: t.Count,
			OurAmount: int64(t.OurAmount), TheirAmount: int64(t.TheirAmount), Mismatch: t.IsMismatched})
	}
	for i := range rc.Items {
		rep.Items = append(rep.Items, NewReconRecord(&rc.Items[i], loc))
	}
	return rep, nil
}

// MismatchCounts returns the number of items of each kind of mismatch,
// every kind present (zero when none).
func (r *ReconReport) MismatchCounts() map[string]int {
	out := map[string]int{}
	for _, m := range partner.Matches {
		if m.Mismatch() {
			out[string(m)] = 0
		}
	}
	for _, t := range r.Matches {
		if t.Mismatch {
			out[t.Match] = t.Count
		}
	}
	return out
}

// ReconColumns names the cells of a ReconRecord.
func ReconColumns() []string {
	return []string{"match", "refid", "trxid", "kind", "our_amount", "our_price", "our_state", "our_time",
		"their_amount", "their_status", "their_time", "line", "detail"}
}

// ReconRecord is one line of a reconciliation: our request, the
// settlement row, or both. Our fields are empty (zero) when we have no
// request, theirs when the file has no row.
type ReconRecord struct {
	Match       string     `json:"match"` // empty in a report of our side only
	RefID       string     `json:"refid"` // the partner's refid; the bank reference of a VA payment
	TrxID       int64      `json:"trxid"` // our request
	Kind        string     `json:"kind"`  // topup, payment or va
	OurAmount   int64      `json:"our_amount"`
	OurPrice    int64      `json:"our_price"` // debited from the partner's deposit
	OurState    string     `json:"our_state"`
	OurTime     *time.Time `json:"our_time"` // paid at the bank for VA, else created
	TheirAmount int64      `json:"their_amount"`
	TheirStatus string     `json:"their_status"`
	TheirTime   *time.Time `json:"their_time"`
	Line        int        `json:"line"` // of the settlement file
	Detail      string     `json:"detail"`
}

// NewReconRecord converts it with its times in loc.
func NewReconRecord(it *partner.ReconItem, loc *time.Location) *ReconRecord {
	r := &ReconRecord{Match: string(it.Match), RefID: it.RefID, Detail: it.Detail}
	if o := it.Ours; o != nil {
		t := o.BusinessTime().In(loc)
		r.TrxID, r.Kind, r.OurAmount, r.OurPrice, r.OurState, r.OurTime = o.ID, o.Kind, int64(o.Net()), int64(o.Price), string(o.State), &t
	}
	if s := it.Theirs; s != nil {
		r.TheirAmount, r.TheirStatus, r.Line = int64(s.Amount), string(s.State), s.Line
		if !s.Time.IsZero() {
			t := s.Time.In(loc)
			r.TheirTime = &t
		}
	}
	return r
}

// Cells gives the CSV and table values in column order.
func (r *ReconRecord) Cells() []string {
	amount := func(n int64, side string) string {
		if side == "" {
			return ""
		}
		return itoa(n)
	}
	line := ""
	if r.Line > 0 {
		line = strconv.Itoa(r.Line)
	}
	return []string{r.Match, r.RefID, idOrEmpty(r.TrxID), r.Kind, amount(r.OurAmount, r.OurState),
		amount(r.OurPrice, r.OurState), r.OurState, fmtTimePtr(r.OurTime), amount(r.TheirAmount, r.TheirStatus),
		r.TheirStatus, fmtTimePtr(r.TheirTime), line, r.Detail}
}

// MatchTotalRecord totals one kind of match.
type MatchTotalRecord struct {
	Match       string `json:"match"`
	Count       int    `json:"count"`
	OurAmount   int64  `json:"our_amount"`
	TheirAmount int64  `json:"their_amount"`
	Mismatch    bool   `json:"mismatch"`
}

// Cells gives the table values: match, count, ours, theirs, mismatch.
func (t MatchTotalRecord) Cells() []string {
	mis := ""
	if t.Mismatch && t.Count > 0 {
		mis = "yes"
	}
	return []string{t.Match, strconv.Itoa(t.Count), itoa(t.OurAmount), itoa(t.TheirAmount), mis}
}

// StateTotalRecord totals one side's transactions in one state.
type StateTotalRecord struct {
	State  string `json:"state"`
	Count  int    `json:"count"`
	Amount int64  `json:"amount"`
}

func stateRecords(ts []partner.StateTotal) []StateTotalRecord {
	out := []StateTotalRecord{}
	for _, t := range ts {
		out = append(out, StateTotalRecord{State: string(t.State), Count: t.Count, Amount: int64(t.Amount)})
	}
	return out
}

// sideRecord is a StateTotalRecord with its side, for the table.
type sideRecord struct {
	side string
	StateTotalRecord
}

func (s sideRecord) Cells() []string {
	return []string{s.side, s.State, strconv.Itoa(s.Count), itoa(s.Amount)}
}

// WriteReconciliation writes rep to w: CSV is the items (header
// ReconColumns), JSON the whole report as one object, and table a summary,
// the items and the totals for a terminal.
func WriteReconciliation(w io.Writer, f Format, rep *ReconReport) error {
	rows := make([]Record, len(rep.Items))
	for i, it := range rep.Items {
		rows[i] = it
	}
	switch f {
	case FormatCSV:
		return WriteRecords(w, f, ReconColumns(), rows)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatTable:
	default:
		return filterErr("format", "want csv, json or table, got %q", f)
	}
	file := "none: our side only"
	if rep.Settled {
		file = fmt.Sprintf("%s (%d rows)", tableCell(rep.Settlement), rep.Rows)
	}
	result := "our side only"
	switch {
	case rep.Settled && rep.Mismatches == 0:
		result = "everything matches"
	case rep.Settled:
		result = fmt.Sprintf("%d mismatch(es)", rep.Mismatches)
	}
	if _, err := fmt.Fprintf(w, "partner     %s\ndate        %s (%s)\nsettlement  %s\nresult      %s\n\n",
		rep.Partner, rep.Date, rep.Timezone, file, result); err != nil {
		return err
	}
	if err := WriteRecords(w, f, ReconColumns(), rows); err != nil {
		return err
	}
	if rep.Settled {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		totals := make([]Record, len(rep.Matches))
		for i, t := range rep.Matches {
			totals[i] = t
		}
		if err := WriteRecords(w, f, []string{"match", "count", "our_amount", "their_amount", "mismatch"}, totals); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	var sides []Record
	for _, t := range rep.Ours {
		sides = append(sides, sideRecord{"ours", t})
	}
	for _, t := range rep.Theirs {
		sides = append(sides, sideRecord{"theirs", t})
	}
	return WriteRecords(w, f, []string{"side", "state", "count", "amount"}, sides)
}
