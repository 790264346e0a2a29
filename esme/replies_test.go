package esme_test

import (
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// TestDefaultRepliesFitOneSMS checks that the built-in reply texts, with
// long sample values, fit one GSM 03.38 SMS (160 septets; [ and ] count
// two), except the help and abuse texts, which fit two.
func TestDefaultRepliesFitOneSMS(t *testing.T) {
	r, err := smsgw.NewReplies(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := smsgw.ReplyData{
		Account: "081100000029", Amount: "5.000.000", Balance: "12.500.000", Allowed: "50.000, 75.000, 100.000, 150.000, 300.000, 500.000",
		Min: "50.000", Max: "5.000.000", TTL: 15, Left: 2, Attempts: 3, Until: "23/11 16:30 WIB", Ref: "SMS1234567",
		RequestCode: "9779", PINCode: "3355", Keyword: "RIWAYAT", Minutes: 60,
		History: []smsgw.HistoryLine{
			{Time: "23/11 16:30", Sign: "+", Amount: "500.000", Ref: "SMS1234567"},
			{Time: "23/11 16:31", Sign: "+", Amount: "500.000", Ref: "SMS1234568"},
		},
	}
	twoParts := map[string]bool{smsgw.ReplyHelp: true, smsgw.ReplyTooManyAccounts: true}
	for _, name := range smsgw.ReplyNames() {
		s, err := r.Render(name, d)
		if err != nil {
			t.Fatalf("Render(%s): %v", name, err)
		}
		n, ok := text.GSM7Len(s)
		if !ok {
			t.Errorf("reply %s is not GSM 03.38 text: %q", name, s)
			continue
		}
		limit := 160
		if twoParts[name] {
			limit = 2 * 153
		}
		if n > limit {
			t.Errorf("reply %s is %d septets, want at most %d: %q", name, n, limit, s)
		}
	}
}
