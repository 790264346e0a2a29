package smsgw_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// The hot paths of the engine, on the SQLite store with synchronous=FULL
// (the default). docs/benchmarks.md has the figures and the command.

// BenchmarkClassify is the one parse of an MO text at ingest.
func BenchmarkClassify(b *testing.B) {
	_, gw := sqlitetest.Open(b, smsgwtest.WithCodes(request, pinCode))
	r := gw.Rules()
	for _, tc := range []struct{ name, code, text string }{
		{"topup", request, "IM2PAY 08110000009 50000"},
		{"pin", pinCode, "246810"},
		{"unknown", request, "KIRIM 246810 ke teman"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Classify(tc.code, tc.text)
			}
		})
	}
}

// BenchmarkPINCheck is the verifier of a PIN reply (HMAC-SHA256 with the
// customer's salt) and its constant-time comparison.
func BenchmarkPINCheck(b *testing.B) {
	h, err := smsgw.NewPINHasher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	salt, _ := smsgw.NewSalt()
	want := h.Hash(salt, domain.PIN("246810"))
	b.ReportAllocs()
	for b.Loop() {
		if !smsgw.Equal(h.Hash(salt, domain.PIN("246810")), want) {
			b.Fatal("PIN mismatch")
		}
	}
}

// BenchmarkHandleMO stores MOs from parallel goroutines, as SMPP binds
// hand them over: each returns once its MO is committed.
func BenchmarkHandleMO(b *testing.B) {
	_, gw := sqlitetest.Open(b, smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.MaxBacklog = -1 }))
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			mo := smsgw.MO{From: fmt.Sprintf("0812%07d", i%1000), To: request, Text: "SALDO", SMSCID: fmt.Sprint(i)}
			if err := gw.HandleMO(b.Context(), mo); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSaldo is one SALDO end to end inside the engine: store the MO,
// process it, send the reply and record it sent; b.N MOs from 1,000
// registered customers per iteration batch.
//
// With abuse limits on (high enough that no MO is refused), each MO also
// takes from its sender's MO rate bucket in the store.
func BenchmarkSaldo(b *testing.B) {
	b.Run("limits=off", func(b *testing.B) { benchSaldo(b, smsgw.AbuseRules{}) })
	b.Run("limits=on", func(b *testing.B) {
		benchSaldo(b, smsgw.AbuseRules{MOPerMinute: 6000, MOBurst: 10000, MaxAccounts: 5})
	})
}

func benchSaldo(b *testing.B, abuse smsgw.AbuseRules) {
	out := &smsgwtest.Sender{}
	_, gw := sqlitetest.Open(b, smsgwtest.WithCodes(request, pinCode), smsgwtest.WithSender(out),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.MaxBacklog = -1 }))
	r := gw.Rules()
	r.Abuse = abuse
	if err := gw.SetRules(r); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	const customers = 1000
	for i := range customers {
		m := fmt.Sprintf("0812%07d", i)
		if err := gw.AddCustomer(ctx, m, m, "Bench", domain.PIN("246810")); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			mo := smsgw.MO{From: fmt.Sprintf("0812%07d", i%customers), To: request, Text: "SALDO", SMSCID: fmt.Sprint(i)}
			if err := gw.HandleMO(ctx, mo); err != nil {
				b.Fatal(err)
			}
			if i%200 == 0 { // one goroutine drains while the others store
				if _, err := gw.ProcessInbox(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := gw.SendDue(ctx); err != nil {
					b.Fatal(err)
				}
				out.Take()
			}
		}
	})
	if _, err := gw.ProcessInbox(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := gw.SendDue(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOutboxDrain sends queued replies and records them sent: one
// SendDue over b.N queued MTs to 1,000 numbers.
func BenchmarkOutboxDrain(b *testing.B) {
	out := &smsgwtest.Sender{}
	_, gw := sqlitetest.Open(b, smsgwtest.WithCodes(request, pinCode), smsgwtest.WithSender(out),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.MaxBacklog = -1 }))
	ctx := b.Context()
	for i := range b.N {
		mo := smsgw.MO{From: fmt.Sprintf("0812%07d", i%1000), To: request, Text: "BANTUAN", SMSCID: fmt.Sprint(i)}
		if err := gw.HandleMO(ctx, mo); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := gw.ProcessInbox(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n, err := gw.SendDue(ctx)
	if err != nil || n != b.N {
		b.Fatalf("SendDue() = %d, %v; want %d", n, err, b.N)
	}
}
