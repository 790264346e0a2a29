package partner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
)

// FuzzParseSettlement: never panics; an error is a *SettlementError; every
// row it accepts holds a valid refid, a positive amount within MaxAmount
// and a final state, with lines increasing; and reconciling the rows with
// nothing of ours counts each refid once.
func FuzzParseSettlement(f *testing.F) {
	for _, s := range []string{
		"refid,amount,status\nA,5000,success\n",
		"\ufeffRefID,Amount,Status,Time\r\nA,5000,20,2026-12-02 08:00:00\r\na,5000,40,\r\n",
		"refid,amount,status\n\"A\",\"5000\",\"failed\"\n\n",
		"refid;amount;status\n",
		"refid,amount,status\nA,5.000,success\n",
		"",
		"refid,amount,status,time\nA,1,success,2026-12-02T01:00:00Z\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := partner.ParseSettlement(strings.NewReader(s), partner.SettlementOptions{MaxRows: 1000, MaxBytes: 1 << 16})
		if err != nil {
			var se *partner.SettlementError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SettlementError", err, err)
			}
			return
		}
		last := 1
		for _, r := range rows {
			if !partner.ValidRefID(r.RefID) || r.Amount <= 0 || r.Amount > domain.MaxAmount || !r.State.Final() || r.Line <= last {
				t.Fatalf("accepted row %+v (previous line %d)", r, last)
			}
			last = r.Line
		}
		if rows == nil {
			rows = []partner.SettlementRow{}
		}
		rc := partner.Reconcile(nil, rows, nil)
		if rc.Total(partner.MissingOurs).Count+rc.Total(partner.Duplicate).Count != len(rows) || rc.Mismatches != len(rows) {
			t.Fatalf("reconcile of %d rows = %+v", len(rows), rc.Matches)
		}
	})
}
