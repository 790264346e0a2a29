package partner_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
)

var jakarta = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-02 "+hhmm, jakarta)
	if err != nil {
		panic(err)
	}
	return t
}

func req(id int64, refid string, amount domain.Amount, st partner.State, created time.Time) partner.Request {
	return partner.Request{ID: id, Partner: "reseller", RefID: refid, Kind: partner.KindTopUp, Amount: amount,
		State: st, CreatedAt: created}
}

func parse(t *testing.T, s string) []partner.SettlementRow {
	t.Helper()
	rows, err := partner.ParseSettlement(strings.NewReader(s), partner.SettlementOptions{Location: jakarta})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestReconcileEveryMismatch compares a day with a file holding every kind
// of match and mismatch, and checks items and totals.
func TestReconcileEveryMismatch(t *testing.T) {
	ours := []partner.Request{
		req(1, "INV-1", 50_000, partner.Success, at("08:00")),  // matched
		req(2, "INV-2", 50_000, partner.Success, at("08:10")),  // amount differs
		req(3, "INV-3", 25_000, partner.Failed, at("08:20")),   // state differs (theirs success)
		req(4, "INV-4", 100_000, partner.Success, at("08:30")), // missing theirs
		req(5, "INV-5", 10_000, partner.Failed, at("08:40")),   // unlisted (failed, not in the file)
		req(6, "INV-6", 20_000, partner.Unknown, at("08:50")),  // open, in the file
		req(7, "INV-7", 30_000, partner.Pending, at("23:59")),  // open, not in the file
		req(8, "Inv-8", 40_000, partner.Success, at("09:00")),  // matched in another letter case, then duplicated
		req(9, "INV-9", 15_000, partner.Failed, at("09:10")),   // matched failed
	}
	yesterday := req(10, "INV-0", 60_000, partner.Success, at("08:00").Add(-24*time.Hour))
	file := "\ufeffRefID,Amount,Status,Time\r\n" +
		"INV-1,50000,success,2026-12-02 08:00:01\r\n" +
		"INV-2,55000,success,2026-12-02 08:10:01\r\n" +
		"INV-3,25000,20,\r\n" +
		"INV-6,20000,success,\r\n" +
		"\r\n" +
		"INV-8,40000,SUCCESS,2026-12-02T09:00:00+07:00\r\n" +
		"inv-8,40000,success,\r\n" +
		"INV-9,15000,40,\r\n" +
		"INV-X,70000,success,\r\n" + // missing ours
		"INV-0,60000,success,\r\n" // other day
	rows := parse(t, file)
	if len(rows) != 9 || rows[0].Line != 2 || rows[4].Line != 7 {
		t.Fatalf("rows = %+v", rows)
	}
	elsewhere := func(refid string) (*partner.Request, bool) {
		if strings.EqualFold(refid, yesterday.RefID) {
			return &yesterday, true
		}
		return nil, false
	}
	rc := partner.Reconcile(ours, rows, elsewhere)
	got := map[string]partner.Match{}
	var order []partner.Match
	for _, it := range rc.Items {
		key := it.RefID
		if it.Match == partner.Duplicate {
			key += "#dup"
		}
		got[key] = it.Match
		order = append(order, it.Match)
	}
	want := map[string]partner.Match{
		"INV-1": partner.Matched, "INV-2": partner.AmountDiffers, "INV-3": partner.StateDiffers,
		"INV-4": partner.MissingTheirs, "INV-5": partner.Unlisted, "INV-6": partner.Open, "INV-7": partner.Open,
		"INV-8": partner.Matched, "inv-8#dup": partner.Duplicate, "INV-9": partner.Matched,
		"INV-X": partner.MissingOurs, "INV-0": partner.OtherDay,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("matches =\n%v\nwant\n%v", got, want)
	}
	wantOrder := []partner.Match{partner.MissingOurs, partner.MissingTheirs, partner.StateDiffers, partner.AmountDiffers,
		partner.OtherDay, partner.Duplicate, partner.Open, partner.Open, partner.Matched, partner.Matched, partner.Matched,
		partner.Unlisted}
	if fmt.Sprint(order) != fmt.Sprint(wantOrder) {
		t.Errorf("order = %v, want %v", order, wantOrder)
	}
	if rc.Mismatches != 8 {
		t.Errorf("mismatches = %d, want 8", rc.Mismatches)
	}
	for _, tc := range []struct {
		m             partner.Match
		n             int
		ours, theirs  domain.Amount
		isMismatching bool
	}{
		{partner.Matched, 3, 105_000, 105_000, false},
		{partner.AmountDiffers, 1, 50_000, 55_000, true},
		{partner.StateDiffers, 1, 25_000, 25_000, true},
		{partner.MissingTheirs, 1, 100_000, 0, true},
		{partner.MissingOurs, 1, 0, 70_000, true},
		{partner.OtherDay, 1, 60_000, 60_000, true},
		{partner.Duplicate, 1, 0, 40_000, true},
		{partner.Open, 2, 50_000, 20_000, true},
		{partner.Unlisted, 1, 10_000, 0, false},
	} {
		tot := rc.Total(tc.m)
		if tot.Count != tc.n || tot.OurAmount != tc.ours || tot.TheirAmount != tc.theirs || tot.IsMismatched != tc.isMismatching {
			t.Errorf("total %s = %+v, want %d, ours %d, theirs %d", tc.m, tot, tc.n, tc.ours, tc.theirs)
		}
	}
	for _, it := range rc.Items {
		switch it.RefID {
		case "INV-2":
			if it.Detail != "amount: ours 50000, theirs 55000 (+5000)" {
				t.Errorf("INV-2 detail = %q", it.Detail)
			}
		case "INV-3":
			if !strings.Contains(it.Detail, "state: ours failed, theirs success") {
				t.Errorf("INV-3 detail = %q", it.Detail)
			}
		case "INV-0":
			if it.Detail != "our request is of 2026-12-01" || it.Ours.ID != 10 {
				t.Errorf("INV-0 = %+v", it)
			}
		case "INV-8":
			if it.Match == partner.Matched && (it.Ours.ID != 8 || !it.Theirs.Time.Equal(at("09:00"))) {
				t.Errorf("INV-8 = %+v", it)
			}
		}
	}
	// Sides: ours by state, theirs by status without the duplicate.
	if fmt.Sprint(rc.Ours) != "[{success 4 Rp240.000} {failed 3 Rp50.000} {pending 1 Rp30.000} {unknown 1 Rp20.000}]" {
		t.Errorf("ours = %v", rc.Ours)
	}
	if fmt.Sprint(rc.Theirs) != "[{success 7 Rp320.000} {failed 1 Rp15.000}]" {
		t.Errorf("theirs = %v", rc.Theirs)
	}
}

// TestReconcileClean: a file that agrees has no mismatch; without
// elsewhere an unknown refid is missing on our side.
func TestReconcileClean(t *testing.T) {
	ours := []partner.Request{req(1, "A", 5000, partner.Success, at("01:00")), req(2, "B", 5000, partner.Failed, at("02:00"))}
	rc := partner.Reconcile(ours, parse(t, "status,refid,amount\nsuccess,a,5000\nfailed,B,5000\n"), nil)
	if rc.Mismatches != 0 || rc.Total(partner.Matched).Count != 2 || !rc.Settled {
		t.Errorf("clean = %+v", rc)
	}
	rc = partner.Reconcile(nil, parse(t, "refid,amount,status\nZ,5000,success\n"), nil)
	if rc.Mismatches != 1 || rc.Items[0].Match != partner.MissingOurs || rc.Items[0].Ours != nil {
		t.Errorf("missing ours = %+v", rc.Items)
	}
}

// TestReconcileEmpty: an empty file makes every success of ours missing on
// theirs; no file lists our side only; nothing on both sides is clean.
func TestReconcileEmpty(t *testing.T) {
	ours := []partner.Request{req(1, "A", 5000, partner.Success, at("01:00")), req(2, "B", 7000, partner.Pending, at("00:30"))}
	rows := parse(t, "refid,amount,status\r\n")
	if rows == nil {
		rows = []partner.SettlementRow{}
	}
	rc := partner.Reconcile(ours, rows, nil)
	if rc.Mismatches != 2 || rc.Total(partner.MissingTheirs).Count != 1 || rc.Total(partner.Open).Count != 1 {
		t.Errorf("empty file = %+v", rc)
	}
	rc = partner.Reconcile(ours, nil, nil)
	if rc.Settled || rc.Mismatches != 0 || len(rc.Matches) != 0 || len(rc.Items) != 2 || rc.Items[0].RefID != "B" || rc.Items[0].Match != "" {
		t.Errorf("no file = %+v", rc)
	}
	rc = partner.Reconcile(nil, []partner.SettlementRow{}, nil)
	if !rc.Settled || rc.Mismatches != 0 || len(rc.Items) != 0 {
		t.Errorf("nothing = %+v", rc)
	}
}

func TestBusinessTimeAndDay(t *testing.T) {
	day, err := partner.ParseDay("2026-12-02", jakarta)
	if err != nil || !day.Start.Equal(at("00:00")) || !day.End.Equal(at("00:00").Add(24*time.Hour)) {
		t.Fatalf("day = %+v, %v", day, err)
	}
	if !day.Contains(at("23:59")) || day.Contains(day.End) || day.Contains(day.Start.Add(-time.Second)) {
		t.Error("Contains is not [start, end)")
	}
	if _, err := partner.ParseDay("02-12-2026", jakarta); err == nil {
		t.Error("ParseDay accepted 02-12-2026")
	}
	va := partner.Request{Kind: partner.KindVA, CreatedAt: at("00:05"), PaidAt: at("00:00").Add(-time.Minute)}
	if !va.BusinessTime().Equal(va.PaidAt) || day.Contains(va.BusinessTime()) {
		t.Error("a VA payment does not count on the day it was paid")
	}
	top := partner.Request{Kind: partner.KindTopUp, CreatedAt: at("00:05")}
	if !top.BusinessTime().Equal(top.CreatedAt) {
		t.Error("a top-up does not count on the day it was made")
	}
	if d := partner.DayOf(at("00:05").UTC(), jakarta); d.Date != "2026-12-02" {
		t.Errorf("DayOf = %+v", d)
	}
}

// TestParseSettlementErrors: every bad file is refused with the line and
// column of its fault.
func TestParseSettlementErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"", "line 1: empty"},
		{"\ufeff", "line 1: empty"},
		{"refid,amount\nA,1\n", "line 1, column status: missing"},
		{"refid,amount,status,fee\n", `line 1, column 4: unknown column "fee"`},
		{"refid;amount;status\n", `line 1, column 1: unknown column "refid;amount;status"`},
		{"refid,amount,status,Refid\n", "line 1, column refid: column named twice"},
		{"refid,amount,status\nA,5000\n", "line 2: 2 fields, the header has 3"},
		{"refid,amount,status\nA,5000,success\nB,5.000,success\n", `line 3, column amount: "5.000" is not an amount`},
		{"refid,amount,status\nA,+5,success\n", `line 2, column amount: "+5"`},
		{"refid,amount,status\nA,--5,success\n", `line 2, column amount: "--5"`},
		{"refid,amount,status\nA,-,success\n", `line 2, column amount: "-"`},
		{"refid,amount,status\nA,0,success\n", `line 2, column amount: "0"`},
		{"refid,amount,status\nA,+5,success\n", `line 2, column amount: "+5"`},
		{"refid,amount,status\nA,99999999999999999999,success\n", "line 2, column amount"},
		{"refid,amount,status\nA,5000,ok\n", `line 2, column status: "ok" is not a status`},
		{"refid,amount,status\nA B,5000,success\n", `line 2, column refid: "A B" is not a refid`},
		{"refid,amount,status\n,5000,success\n", `line 2, column refid: "" is not a refid`},
		{"refid,amount,status,time\nA,5000,success,02/12/2026\n", `line 2, column time: "02/12/2026" is not a time`},
		{"refid,amount,status\n\"A,5000,success\n", "line 2: not valid CSV"},
	} {
		_, err := partner.ParseSettlement(strings.NewReader(tc.file), partner.SettlementOptions{})
		var se *partner.SettlementError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSettlement(%q) = %v, want %q", tc.file, err, tc.want)
		}
	}
}

// TestParseSettlementBounds: a file over its size or row bound is refused,
// not cut; a reader's own error passes through.
func TestParseSettlementBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("refid,amount,status\n")
	for i := range 100 {
		fmt.Fprintf(&b, "R-%d,5000,success\n", i)
	}
	if rows, err := partner.ParseSettlement(strings.NewReader(b.String()), partner.SettlementOptions{MaxRows: 100}); err != nil || len(rows) != 100 {
		t.Errorf("100 rows, bound 100 = %d, %v", len(rows), err)
	}
	if _, err := partner.ParseSettlement(strings.NewReader(b.String()), partner.SettlementOptions{MaxRows: 99}); err == nil ||
		!strings.Contains(err.Error(), "line 101: more than 99 rows") {
		t.Errorf("100 rows, bound 99 = %v", err)
	}
	size := int64(b.Len())
	if _, err := partner.ParseSettlement(strings.NewReader(b.String()), partner.SettlementOptions{MaxBytes: size}); err != nil {
		t.Errorf("file of exactly MaxBytes = %v", err)
	}
	if _, err := partner.ParseSettlement(strings.NewReader(b.String()), partner.SettlementOptions{MaxBytes: size - 1}); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("larger than %d bytes", size-1)) {
		t.Errorf("file over MaxBytes = %v", err)
	}
	boom := errors.New("disk on fire")
	if _, err := partner.ParseSettlement(iotest.ErrReader(boom), partner.SettlementOptions{}); !errors.Is(err, boom) {
		t.Errorf("reader error = %v", err)
	}
}

// TestParseSettlementTimes: times without an offset are in the partner
// zone; quoted fields and spaces are fine.
func TestParseSettlementTimes(t *testing.T) {
	rows := parse(t, "time , refid,amount,status\n"+
		"2026-12-02 08:00:00,A,5000,success\n"+
		"2026-12-02T08:00,B,5000,failed\n"+
		"2026-12-02T01:00:00Z,C,5000,success\n"+
		"\" \",\" D \",\"5000\",\"Failed\"\n")
	if !rows[0].Time.Equal(at("08:00")) || !rows[1].Time.Equal(at("08:00")) || !rows[2].Time.Equal(at("08:00")) ||
		!rows[3].Time.IsZero() || rows[3].RefID != "D" || rows[3].State != partner.Failed || rows[1].State != partner.Failed {
		t.Errorf("rows = %+v", rows)
	}
}

// TestReconcileReversal: a bank's reversal of a VA payment is listed with a
// minus and matches ours; listed without one, its amount differs; the
// totals are net of it.
func TestReconcileReversal(t *testing.T) {
	pay := req(1, "ATM-1", 100_000, partner.Success, at("08:00"))
	pay.Kind = partner.KindVA
	rev := req(2, "RV-1", 40_000, partner.Success, at("09:00"))
	rev.Kind, rev.ReversesID = partner.KindVAReversal, 1
	ours := []partner.Request{pay, rev}
	rc := partner.Reconcile(ours, parse(t, "refid,amount,status\nATM-1,100000,success\nRV-1,-40000,success\n"), nil)
	if rc.Mismatches != 0 || rc.Total(partner.Matched).Count != 2 {
		t.Fatalf("reversal listed with a minus = %+v", rc.Items)
	}
	if got := rc.Total(partner.Matched); got.OurAmount != 60_000 || got.TheirAmount != 60_000 {
		t.Errorf("matched totals = %+v, want 60000 net on both sides", got)
	}
	if len(rc.Ours) != 1 || rc.Ours[0].State != partner.Success || rc.Ours[0].Amount != 60_000 {
		t.Errorf("our totals = %+v, want success 60000 net", rc.Ours)
	}
	rc = partner.Reconcile(ours, parse(t, "refid,amount,status\nATM-1,100000,success\nRV-1,40000,success\n"), nil)
	if rc.Mismatches != 1 || rc.Total(partner.AmountDiffers).Count != 1 {
		t.Fatalf("reversal listed without a minus = %+v", rc.Items)
	}
	for _, it := range rc.Items {
		if it.Match == partner.AmountDiffers && !strings.Contains(it.Detail, "amount: ours -40000, theirs 40000") {
			t.Errorf("detail = %q", it.Detail)
		}
	}
}
