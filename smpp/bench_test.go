package smpp_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
)

// BenchmarkSubmitWindow measures submit_sm round trips per second through a
// Client against an smpptest SMSC on loopback, with window submitters
// keeping the window full.
func BenchmarkSubmitWindow(b *testing.B) {
	for _, window := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			srv := smpptest.NewUnstartedServer()
			srv.MaxRecords = -1 // do not keep millions of submissions
			srv.Start()
			defer srv.Close()

			c, err := smpp.NewClient(smpp.ClientOptions{
				Addr:     srv.Addr(),
				SystemID: "bench",
				Window:   window,
				Logger:   slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			runDone := make(chan error, 1)
			go func() { runDone <- c.Run(ctx) }()
			defer func() {
				cancel()
				<-runDone
			}()
			// Warm up: wait for the bind.
			if _, err := c.Submit(ctx, benchSM()); err != nil {
				b.Fatal(err)
			}

			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range window {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sm := benchSM()
					for next.Add(1) <= int64(b.N) {
						if _, err := c.Submit(ctx, sm); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d submits failed", n)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submit/s")
		})
	}
}

func benchSM() *pdu.SubmitSM {
	return &pdu.SubmitSM{MessageFields: pdu.MessageFields{
		SourceAddr:      "INFO",
		SourceAddrTON:   5,
		DestAddrTON:     1,
		DestAddrNPI:     1,
		DestinationAddr: "447700900123",
		ShortMessage:    []byte("Your balance is 12.50. Thank you for using our service."),
	}}
}
