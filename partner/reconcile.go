package partner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// Daily reconciliation: our partner requests of one day against the
// partner's settlement file of that day. The matching here is pure: the
// caller reads the requests (report.Reconcile does) and the file
// (ParseSettlement).

// Match is how one transaction compares between the two sides.
type Match string

// Matches, in the order a report lists them: mismatches first. Matched
// and Unlisted are not mismatches.
const (
	// MissingOurs: in the file, and we have no request with that refid.
	MissingOurs Match = "missing_ours"
	// MissingTheirs: our successful request, not in the file.
	MissingTheirs Match = "missing_theirs"
	// StateDiffers: both sides, one success and the other failed.
	StateDiffers Match = "state"
	// AmountDiffers: both sides in the same state, other amounts.
	AmountDiffers Match = "amount"
	// OtherDay: in the file, and our request with that refid belongs to
	// another day.
	OtherDay Match = "other_day"
	// Duplicate: the file lists the refid again (in any letter case);
	// the first row is matched, every further one is a Duplicate with no
	// request of ours attached (so ours is counted once).
	Duplicate Match = "duplicate"
	// Open: our request is still pending or unknown, in the file or not:
	// it must be settled first (see `smsgw partner status`).
	Open Match = "open"
	// Matched: both sides agree on the state and the amount.
	Matched Match = "matched"
	// Unlisted: our failed request, not in the file. Nothing moved, so it
	// is no mismatch; it is listed for completeness.
	Unlisted Match = "unlisted"
)

// Matches lists every Match in report order.
var Matches = []Match{MissingOurs, MissingTheirs, StateDiffers, AmountDiffers, OtherDay, Duplicate, Open, Matched, Unlisted}

// Mismatch reports whether m needs someone to look at it.
func (m Match) Mismatch() bool { return m != Matched && m != Unlisted && m != "" }

// BusinessTime is the time a request counts for in a day's
// reconciliation: when the customer paid at the bank for a VA payment
// (banks settle by their own transaction date), else when the partner
// made the request.
func (r *Request) BusinessTime() time.Time {
	if r.Kind == KindVA && !r.PaidAt.IsZero() {
		return r.PaidAt
	}
	return r.CreatedAt
}

// Net is the request's amount as it counts in a reconciliation: negative
// for a VA reversal (money back to the bank), as a settlement file lists
// it.
func (r *Request) Net() domain.Amount {
	if r.Kind == KindVAReversal {
		return -r.Amount
	}
	return r.Amount
}

// Day is the calendar day [Start, End) in a zone.
type Day struct {
	Date       string // 2006-01-02
	Start, End time.Time
}

// ParseDay returns the calendar day date (2006-01-02) in loc.
func ParseDay(date string, loc *time.Location) (Day, error) {
	t, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Day{}, fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	return DayOf(t, loc), nil
}

// DayOf returns the calendar day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	t = t.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	end := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	return Day{Date: start.Format(time.DateOnly), Start: start, End: end}
}

// Contains reports whether t falls in the day.
func (d Day) Contains(t time.Time) bool { return !t.Before(d.Start) && t.Before(d.End) }

// ReconItem is one line of a reconciliation: our request, the file's row,
// or both.
type ReconItem struct {
	Match  Match
	RefID  string         // the file's spelling when the file has it, else ours
	Ours   *Request       // nil for MissingOurs
	Theirs *SettlementRow // nil for MissingTheirs, Unlisted and an Open request not in the file
	Detail string         // what differs, in words
}

// MatchTotal counts the items of one Match and sums their amounts on
// each side.
type MatchTotal struct {
	Match        Match
	Count        int
	OurAmount    domain.Amount
	TheirAmount  domain.Amount
	IsMismatched bool
}

// StateTotal counts one side's transactions in one state.
type StateTotal struct {
	State  State
	Count  int
	Amount domain.Amount
}

// Reconciliation is the outcome of Reconcile.
type Reconciliation struct {
	// Settled is false when no settlement file was given: Items then list
	// our side only, with no Match.
	Settled bool
	Items   []ReconItem
	// Matches has one total per Match, in report order (empty without a
	// file); Mismatches is the number of items that are mismatches.
	Matches    []MatchTotal
	Mismatches int
	// Ours and Theirs total each side by state: our requests of the day,
	// and the file's rows (without duplicates).
	Ours   []StateTotal
	Theirs []StateTotal
}

// Total returns the total of m.
func (rc *Reconciliation) Total(m Match) MatchTotal {
	for _, t := range rc.Matches {
		if t.Match == m {
			return t
		}
	}
	return MatchTotal{Match: m, IsMismatched: m.Mismatch()}
}

// Reconcile compares ours, our requests of one day, with the rows of the
// partner's settlement file for that day; theirs nil means no file (our
// side only). Refids match in any letter case, as they do everywhere for
// partners. elsewhere, if not nil, finds our request with a refid that is
// not among ours (one of another day), to tell OtherDay from MissingOurs.
// ours must be one partner's; Reconcile does no I/O.
func Reconcile(ours []Request, theirs []SettlementRow, elsewhere func(refid string) (*Request, bool)) *Reconciliation {
	rc := &Reconciliation{Settled: theirs != nil}
	rc.Ours = stateTotals(len(ours), func(i int) (State, domain.Amount) { return ours[i].State, ours[i].Net() })
	if theirs == nil {
		for i := range ours {
			rc.Items = append(rc.Items, ReconItem{RefID: ours[i].RefID, Ours: &ours[i]})
		}
		sortItems(rc.Items)
		return rc
	}
	byRef := make(map[string]*Request, len(ours))
	for i := range ours {
		byRef[strings.ToLower(ours[i].RefID)] = &ours[i]
	}
	seen := make(map[string]int, len(theirs)) // refid → line of its first row
	var firsts []SettlementRow
	for i := range theirs {
		row := &theirs[i]
		key := strings.ToLower(row.RefID)
		if first, dup := seen[key]; dup {
			// Our side is on the first row's item, not counted twice.
			rc.Items = append(rc.Items, ReconItem{Match: Duplicate, RefID: row.RefID, Theirs: row,
				Detail: fmt.Sprintf("refid already listed on line %d", first)})
			continue
		}
		seen[key] = row.Line
		firsts = append(firsts, *row)
		our, ok := byRef[key]
		if !ok {
			it := ReconItem{Match: MissingOurs, RefID: row.RefID, Theirs: row, Detail: "no request of ours with this refid"}
			if elsewhere != nil {
				if o, found := elsewhere(row.RefID); found {
					it.Match, it.Ours = OtherDay, o
					it.Detail = "our request is of " + o.BusinessTime().In(locOf(row, o)).Format(time.DateOnly)
					if d := differences(o, row); d != "" {
						it.Detail += "; " + d
					}
				}
			}
			rc.Items = append(rc.Items, it)
			continue
		}
		it := ReconItem{RefID: row.RefID, Ours: our, Theirs: row}
		switch {
		case !our.State.Final():
			it.Match, it.Detail = Open, "our request is "+string(our.State)+"; theirs is "+string(row.State)
		case our.State != row.State:
			it.Match, it.Detail = StateDiffers, differences(our, row)
		case our.Net() != row.Amount:
			it.Match, it.Detail = AmountDiffers, differences(our, row)
		default:
			it.Match = Matched
		}
		rc.Items = append(rc.Items, it)
	}
	for i := range ours {
		our := &ours[i]
		if _, listed := seen[strings.ToLower(our.RefID)]; listed {
			continue
		}
		it := ReconItem{RefID: our.RefID, Ours: our}
		switch our.State {
		case Success:
			it.Match, it.Detail = MissingTheirs, "our successful request is not in the file"
		case Failed:
			it.Match = Unlisted
		default:
			it.Match, it.Detail = Open, "our request is "+string(our.State)+"; not in the file"
		}
		rc.Items = append(rc.Items, it)
	}
	sortItems(rc.Items)
	rc.Theirs = stateTotals(len(firsts), func(i int) (State, domain.Amount) { return firsts[i].State, firsts[i].Amount })
	for _, m := range Matches {
		t := MatchTotal{Match: m, IsMismatched: m.Mismatch()}
		for _, it := range rc.Items {
			if it.Match != m {
				continue
			}
			t.Count++
			if it.Ours != nil {
				t.OurAmount += it.Ours.Net()
			}
			if it.Theirs != nil {
				t.TheirAmount += it.Theirs.Amount
			}
		}
		if t.IsMismatched {
			rc.Mismatches += t.Count
		}
		rc.Matches = append(rc.Matches, t)
	}
	return rc
}

// locOf is the zone to name a day in: the file's time's, else ours.
func locOf(row *SettlementRow, o *Request) *time.Location {
	if !row.Time.IsZero() {
		return row.Time.Location()
	}
	return o.BusinessTime().Location()
}

// differences says how our request and the file's row differ.
func differences(o *Request, row *SettlementRow) string {
	var d []string
	if o.State != row.State {
		d = append(d, fmt.Sprintf("state: ours %s, theirs %s", o.State, row.State))
	}
	if o.Net() != row.Amount {
		d = append(d, fmt.Sprintf("amount: ours %d, theirs %d (%+d)", int64(o.Net()), int64(row.Amount), int64(row.Amount-o.Net())))
	}
	return strings.Join(d, "; ")
}

// stateTotals totals n transactions by state, in the order success,
// failed, pending, unknown (states with none are left out).
func stateTotals(n int, at func(i int) (State, domain.Amount)) []StateTotal {
	order := []State{Success, Failed, Pending, Unknown}
	sums := make(map[State]*StateTotal, len(order))
	for i := 0; i < n; i++ {
		s, a := at(i)
		t := sums[s]
		if t == nil {
			t = &StateTotal{State: s}
			sums[s] = t
		}
		t.Count++
		t.Amount += a
	}
	var out []StateTotal
	for _, s := range order {
		if t := sums[s]; t != nil {
			out = append(out, *t)
		}
	}
	return out
}

// sortItems orders items by Match (report order), then by time (ours,
// else theirs), then by refid.
func sortItems(items []ReconItem) {
	rank := make(map[Match]int, len(Matches))
	for i, m := range Matches {
		rank[m] = i
	}
	when := func(it *ReconItem) time.Time {
		if it.Ours != nil {
			return it.Ours.BusinessTime()
		}
		return it.Theirs.Time
	}
	slices.SortStableFunc(items, func(a, b ReconItem) int {
		if c := cmp.Compare(rank[a.Match], rank[b.Match]); c != 0 {
			return c
		}
		if c := when(&a).Compare(when(&b)); c != 0 {
			return c
		}
		return strings.Compare(a.RefID, b.RefID)
	})
}
