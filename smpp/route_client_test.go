package smpp

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// With NoBindWait a submit fails at once while no bind is up; Pending and
// Throttled report the window in use and a throttle pause.
func TestClientNoBindWaitPendingThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{NoBindWait: true, ThrottleBase: time.Second})
		if _, err := h.c.Submit(t.Context(), testSM("0")); !errors.Is(err, ErrNotBound) {
			t.Fatalf("Submit() with no bind = %v, want ErrNotBound at once", err)
		}
		p, _ := h.acceptBind(pdu.StatusOK)
		synctest.Wait() // the client has read the bind response
		if h.c.Pending() != 0 || h.c.Throttled() {
			t.Fatalf("idle: Pending %d Throttled %v", h.c.Pending(), h.c.Throttled())
		}
		ch := h.submitAsync(t.Context(), "1")
		r := p.nextID(pdu.SubmitSMID)
		if n := h.c.Pending(); n != 1 {
			t.Errorf("Pending() with one submit out = %d, want 1", n)
		}
		p.respond(r, pdu.StatusThrottled, "")
		synctest.Wait()
		if !h.c.Throttled() {
			t.Error("Throttled() after ESME_RTHROTTLED = false")
		}
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "m1")
		if res := <-ch; res.err != nil {
			t.Fatal(res.err)
		}
		if h.c.Throttled() || h.c.Pending() != 0 {
			t.Errorf("after the retry was accepted: Throttled %v Pending %d", h.c.Throttled(), h.c.Pending())
		}
		h.stop(p)
	})
}

// Clients sharing a limiter together keep to its rate, each to its own.
func TestClientSharedLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := rate.NewLimiter(10, 1)
		a := startClient(t, ClientOptions{SharedLimiter: shared})
		b := startClient(t, ClientOptions{SharedLimiter: shared, Rate: 2})
		pa, _ := a.acceptBind(pdu.StatusOK)
		pb, _ := b.acceptBind(pdu.StatusOK)
		start := time.Now()
		var got []time.Duration
		for _, h := range []*clientHarness{a, b} {
			go func() {
				for range 3 {
					if _, err := h.c.Submit(t.Context(), testSM("1")); err != nil {
						t.Errorf("Submit() = %v", err)
						return
					}
				}
			}()
		}
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		for _, p := range []*peer{pa, pb} {
			wg.Go(func() {
				for range 3 {
					r := p.nextID(pdu.SubmitSMID)
					mu.Lock()
					got = append(got, time.Since(start))
					mu.Unlock()
					p.respond(r, pdu.StatusOK, "m")
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		// Six submits through a 10/s bucket of one: never two within 100ms.
		seen := map[time.Duration]bool{}
		for _, d := range got {
			if d%(100*time.Millisecond) != 0 || seen[d] {
				t.Errorf("submit times %v: want distinct multiples of 100ms", got)
				break
			}
			seen[d] = true
		}
		if last := slices.Max(got); last < time.Second {
			t.Errorf("b's third submit at %v, want at least 1s (its own 2/s)", last)
		}
		a.stop(pa)
		b.stop(pb)
	})
}

// Under WaitForBind a submit waits for the bind even with NoBindWait: a
// USSD screen must leave through the bind its session came in on.
func TestClientWaitForBindOverridesNoBindWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{NoBindWait: true})
		ch := h.submitAsync(WaitForBind(t.Context()), "1")
		synctest.Wait()
		select {
		case res := <-ch:
			t.Fatalf("Submit under WaitForBind with no bind = %v, want it to wait", res.err)
		default:
		}
		p, _ := h.acceptBind(pdu.StatusOK)
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "m1")
		if res := <-ch; res.err != nil {
			t.Fatalf("Submit under WaitForBind once bound = %v", res.err)
		}
		h.stop(p)
	})
}
