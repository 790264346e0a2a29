package sqlite

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// seedSessions opens n sessions, of MSISDNs in random order (as customers
// come), expiring in the order they were opened, before now.
func seedSessions(b *testing.B, s *Store, n int, now time.Time) {
	b.Helper()
	perm := rand.Perm(n)
	for i := 0; i < n; {
		err := s.Update(b.Context(), func(tx smsgw.Tx) error {
			for j := i; j < min(n, i+10_000); j++ {
				m := domain.MSISDN(fmt.Sprintf("62811%08d", perm[j]))
				at := now.Add(-time.Hour + time.Duration(j)*time.Microsecond)
				err := tx.CreateSession(&smsgw.Session{MSISDN: m, Account: m, Amount: 50_000, Channel: smsgw.ChannelSMS,
					CreatedAt: at.Add(-5 * time.Minute), ExpiresAt: at})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		i += 10_000
	}
}

// BenchmarkExpireSessions times the expiry job's store work: moving open
// sessions past their expiry to expired, a chunk per Update, as
// Gateway.ExpirePending does, on 100,000 open sessions of MSISDNs in random
// order (SMSGW_BENCH_SESSIONS sets another number), by one caller or two
// (one's chunk runs while the other's commit is synced). It reports
// sessions expired a second.
func BenchmarkExpireSessions(b *testing.B) {
	for _, bc := range []struct{ chunk, workers int }{{500, 1}, {2000, 1}, {500, 2}} {
		b.Run(fmt.Sprintf("chunk=%d/workers=%d", bc.chunk, bc.workers), func(b *testing.B) {
			n := 100_000
			if v, _ := strconv.Atoi(os.Getenv("SMSGW_BENCH_SESSIONS")); v > 0 {
				n = v
			}
			now := time.Now()
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				s := MustOpen(b, tempDB(b), Options{})
				seedSessions(b, s, n, now)
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for range bc.workers {
					wg.Go(func() {
						for {
							var k int
							if err := s.Update(b.Context(), func(tx smsgw.Tx) (err error) {
								k, err = tx.ExpireSessions(now, bc.chunk)
								return err
							}); err != nil {
								b.Error(err)
								return
							}
							if k < bc.chunk {
								return
							}
						}
					})
				}
				wg.Wait()
				took += time.Since(start)
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "sessions/s")
		})
	}
}
