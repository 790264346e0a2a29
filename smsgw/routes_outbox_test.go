package smsgw_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// heldSender is a RoutedSender: it holds the routes in held (HeldRoutes
// reports them) and answers ErrRouteDown for those in down (a route that
// went down after the outbox listed its MTs); it records what it sends.
type heldSender struct {
	mu         sync.Mutex
	held, down []string
	sent       []smsgw.MT
}

func (s *heldSender) HeldRoutes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.held)
}

func (s *heldSender) Send(_ context.Context, m smsgw.MT) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.down, m.Route) {
		return nil, smsgw.ErrRouteDown
	}
	s.sent = append(s.sent, m)
	return []string{"id"}, nil
}

func (s *heldSender) routes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.sent {
		out = append(out, string(m.To)+"@"+m.Route)
	}
	slices.Sort(out) // MTs to different numbers go out concurrently
	return out
}

// The outbox routes each MT as it is queued and leaves a held route's MTs
// queued, without an attempt, while the others go; an MT whose route went
// down as it was sent waits too, and a daemon sharing the store gives up
// its claim on it at once.
func TestOutboxWaitsForHeldRoutes(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "alone", true: "shared"}[shared], func(t *testing.T) {
			routes, err := smsgw.NewRoutes("tsel", []smsgw.RouteConfig{{Name: "tsel", Prefixes: []string{"0811"}}, {Name: "isat", Prefixes: []string{"0815"}}})
			if err != nil {
				t.Fatal(err)
			}
			s := &heldSender{held: []string{"isat"}, down: []string{"isat"}}
			db, gw := sqlitetest.Open(t, smsgwtest.WithSender(s), smsgwtest.WithCodes(request, pinCode),
				smsgwtest.WithOptions(func(o *smsgw.Options) { o.Routes, o.SharedStore, o.Node = routes, shared, "n1" }))
			ctx := t.Context()
			rules := gw.Rules()
			if err := db.Update(ctx, func(tx smsgw.Tx) error {
				for _, to := range []domain.MSISDN{"628150000001", "628110000001", "628990000001"} {
					if err := gw.EnqueueReply(tx, &rules, request, to, smsgw.ReplyNothingToCancel, smsgw.ReplyData{}, 0, 0); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n, err := gw.SendDue(ctx); n != 2 || err != nil {
				t.Fatalf("SendDue with isat held = %d, %v; want the 2 others", n, err)
			}
			if got, want := s.routes(), []string{"628110000001@tsel", "628990000001@tsel"}; !slices.Equal(got, want) {
				t.Errorf("sent %v, want %v", got, want)
			}
			waiting := func() smsgw.Message {
				t.Helper()
				var ms []smsgw.Message
				if err := db.View(ctx, func(tx smsgw.Tx) (err error) {
					ms, err = tx.Messages(smsgw.MessageFilter{Status: smsgw.MsgQueued})
					return err
				}); err != nil || len(ms) != 1 {
					t.Fatalf("queued = %v, %v; want the isat MT", ms, err)
				}
				return ms[0]
			}
			if m := waiting(); m.Route != "isat" || m.Attempts != 0 {
				t.Errorf("isat MT = route %q attempts %d; want isat, 0", m.Route, m.Attempts)
			}
			// Not held any more, but down as it is sent: it waits, no
			// attempt counted, and no claim kept.
			s.mu.Lock()
			s.held = nil
			s.mu.Unlock()
			if n, err := gw.SendDue(ctx); n != 0 || err != nil {
				t.Fatalf("SendDue with isat down = %d, %v", n, err)
			}
			m := waiting()
			if m.Attempts != 0 {
				t.Errorf("attempts after ErrRouteDown = %d, want 0", m.Attempts)
			}
			if shared {
				var claimed []smsgw.Message
				if err := db.Update(ctx, func(tx smsgw.Tx) (err error) {
					now := gw.Now()
					claimed, err = tx.ClaimDueMTs("n2", now, now.Add(10e9), nil, 10)
					return err
				}); err != nil || len(claimed) != 1 {
					t.Errorf("another daemon's claim = %v, %v; want the isat MT free", claimed, err)
				}
				if err := db.Update(ctx, func(tx smsgw.Tx) error { return tx.ReleaseMTs("n2", nil) }); err != nil {
					t.Fatal(err)
				}
			}
			s.mu.Lock()
			s.down = nil
			s.mu.Unlock()
			if n, err := gw.SendDue(ctx); n != 1 || err != nil {
				t.Fatalf("SendDue with isat up = %d, %v; want 1", n, err)
			}
		})
	}
}
