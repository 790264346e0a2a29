package storetest

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// testRoutes: MOs and MTs keep their route; the outbox leaves out the MTs
// of held routes, counts its backlog per route, and LastRoute finds the
// route a number was last seen on.
func testRoutes(t *testing.T, s smsgw.Store) {
	lastRoute := func(call string, want string) {
		t.Helper()
		MustView(t, s, func(tx smsgw.Tx) error {
			got, err := tx.LastRoute(msisdnA)
			if err != nil || got != want {
				t.Errorf("%s: LastRoute(A) = %q, %v; want %q", call, got, err, want)
			}
			return nil
		})
	}
	lastRoute("empty store", "")
	mo1 := newMO(msisdnA, "k1", "SALDO", t0)
	mo1.Route = "isat"
	mo2 := newMO(msisdnA, "k2", "SALDO", at(time.Second)) // over no SMSC
	other := newMO(msisdnB, "k3", "SALDO", at(2*time.Second))
	other.Route = "xl"
	tsel := newMT(msisdnA, "tsel", t0)
	tsel.Route = "tsel"
	isat := newMT(msisdnB, "isat", t0)
	isat.Route = "isat"
	none := newMT(msisdnC, "none", t0)
	isat2 := newMT(msisdnC, "isat2", t0)
	isat2.Route = "isat"
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{mo1, mo2, other} {
			if err := tx.InsertMO(m, nil); err != nil {
				return err
			}
		}
		for _, m := range []*smsgw.Message{tsel, isat, none, isat2} {
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		return nil
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, want := range []*smsgw.Message{mo1, mo2, tsel, none} {
			got, err := tx.Message(want.ID)
			if err != nil || got.Route != want.Route {
				t.Errorf("Message(%d).Route = %v, %v; want %q", want.ID, got, err, want.Route)
			}
		}
		return nil
	})
	// The MT to A routed tsel does not count: only MOs say where a
	// subscriber is; the newest MO with a route wins.
	lastRoute("after an MO on isat and one on none", "isat")
	mo3 := newMO(msisdnA, "k4", "SALDO", at(3*time.Second))
	mo3.Route = "xl"
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(mo3, nil) })
	lastRoute("after an MO on xl", "xl")

	due := func(skip ...string) []string {
		t.Helper()
		var ms []smsgw.Message
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			ms, err = tx.DueMTs(at(time.Minute), skip, 10)
			return err
		})
		return texts(ms)
	}
	same(t, "DueMTs(skip none)", due(), []string{"tsel", "isat", "none", "isat2"})
	same(t, "DueMTs(skip isat)", due("isat"), []string{"tsel", "none"})
	same(t, "DueMTs(skip isat, tsel)", due("isat", "tsel"), []string{"none"})
	same(t, "DueMTs(skip the routeless)", due(""), []string{"tsel", "isat", "isat2"})

	byRoute := func() map[string]int {
		t.Helper()
		var m map[string]int
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			m, err = tx.OutboxByRoute()
			return err
		})
		return m
	}
	same(t, "OutboxByRoute", byRoute(), map[string]int{"tsel": 1, "isat": 2, "": 1})

	var claimed []smsgw.Message
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		claimed, err = tx.ClaimDueMTs("A", at(time.Minute), at(2*time.Minute), []string{"tsel", ""}, 10)
		return err
	})
	same(t, "ClaimDueMTs(skip tsel and the routeless)", texts(claimed), []string{"isat", "isat2"})
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTSent(isat.ID, []string{"isat:1"}, at(time.Minute)) })
	same(t, "OutboxByRoute after one sent", byRoute(), map[string]int{"tsel": 1, "isat": 1, "": 1})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.MarkMTFailed(isat2.ID, "x", at(time.Minute)); err != nil {
			return err
		}
		return tx.MarkMTSent(tsel.ID, []string{"tsel:1"}, at(time.Minute))
	})
	same(t, "OutboxByRoute with only the routeless left", byRoute(), map[string]int{"": 1})
}

func texts(ms []smsgw.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}
