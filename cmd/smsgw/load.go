package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
)

// cmdLoad is `smsgw load`: it measures the whole gateway (SMPP in, SQLite,
// flow, SMPP out) by running complete top-ups (IM2PAY, PIN prompt, PIN,
// result SMS) against an in-process SMSC, with the daemon's own code and a
// fresh database, and prints throughput and latency.
func cmdLoad(ctx context.Context, args []string, stdout io.Writer) error {
	fs, _ := newFlags("load")
	flows := fs.Int("n", 1000, "top-ups to run")
	conc := fs.Int("c", 20, "concurrent customers")
	window := fs.Int("window", 10, "SMPP window of the bind")
	dir := fs.String("dir", "", "directory for the database (default: a temporary one)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run (gateway and load together) to this file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *flows < 1 || *conc < 1 || *conc > 10000 {
		return fmt.Errorf("%w: need -n >= 1 and 1 <= -c <= 10000", errUsage)
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "smsgw-load")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}

	// The SMSC routes every MT to the waiting customer.
	replies := newReplyRouter()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("smsc: %w", err)
	}
	srv := &smsc.Server{
		Listener:    l,
		Credentials: map[string]string{"load": "loadpw"},
		MaxRecords:  -1,
		OnSubmit:    replies.deliver,
	}
	srv.Start()
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Addr())
	p, _ := strconv.Atoi(port)

	cfg := DefaultConfig()
	cfg.dir = work
	// A few synthetic customers send top-up after top-up: the per-sender
	// abuse limits would refuse them, and they are not what is measured.
	cfg.Abuse = AbuseConfig{}
	cfg.Log.Level = "error"
	cfg.HTTP.Listen = ""
	cfg.Security = SecurityConfig{PINKeyFile: filepath.Join(work, "pin.key"), CreatePINKey: true}
	cfg.Binds = []BindConfig{defaultBind(BindConfig{
		Name: "load", Host: host, Port: p, SystemID: "load", Password: "loadpw", Window: *window,
	})}
	cfg.Outbox.Poll = Duration{50 * time.Millisecond}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	app := &App{Config: cfg, Logger: logger}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	bctx, bcancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = srv.WaitBound(bctx, "load")
	bcancel()
	if err != nil {
		stop()
		return fmt.Errorf("gateway did not bind: %w (%v)", err, <-done)
	}

	// Customers, each with its own wallet and PIN.
	const pin = "135790"
	msisdns := make([]string, *conc)
	for i := range msisdns {
		msisdns[i] = fmt.Sprintf("0812%08d", i)
		if err := app.gw.AddCustomer(ctx, msisdns[i], msisdns[i], "load", domain.PIN(pin)); err != nil {
			stop()
			return fmt.Errorf("seed customer: %w", err)
		}
	}

	var (
		next      atomic.Int64
		failures  atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
	)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			stop()
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			stop()
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	for _, m := range msisdns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inbox := replies.subscribe(m)
			for next.Add(1) <= int64(*flows) {
				t0 := time.Now()
				if err := oneTopUp(ctx, srv, inbox, m, pin); err != nil {
					failures.Add(1)
					fmt.Fprintf(os.Stderr, "top-up of %s failed: %v\n", m, err)
					continue
				}
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return err
	}

	ok := len(latencies)
	slices.Sort(latencies)
	pct := func(q float64) time.Duration {
		if ok == 0 {
			return 0
		}
		return latencies[min(ok-1, int(math.Ceil(q*float64(ok)))-1)]
	}
	fmt.Fprintf(stdout, "smsgw load: %d top-ups (%d MO + %d MT each), %d concurrent customers, window %d, %s/%s, %d CPU\n",
		*flows, 2, 2, *conc, *window, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(stdout, "completed %d, failed %d in %s\n", ok, failures.Load(), elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "throughput %.1f top-ups/s (%.1f MO/s, %.1f MT/s)\n",
		float64(ok)/elapsed.Seconds(), 2*float64(ok)/elapsed.Seconds(), 2*float64(ok)/elapsed.Seconds())
	fmt.Fprintf(stdout, "top-up latency (IM2PAY sent → result SMS received): p50 %s  p90 %s  p99 %s  max %s\n",
		pct(.50).Round(time.Microsecond), pct(.90).Round(time.Microsecond), pct(.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if failures.Load() > 0 {
		return fmt.Errorf("%d top-ups failed", failures.Load())
	}
	return nil
}

// oneTopUp runs one complete flow for msisdn.
func oneTopUp(ctx context.Context, srv *smsc.Server, inbox <-chan string, msisdn, pin string) error {
	send := func(to, text string) error {
		sts, err := srv.DeliverText(ctx, msisdn, to, text, &smsc.TextOptions{SourceTON: 1, SourceNPI: 1})
		if err != nil {
			return err
		}
		for _, st := range sts {
			if st != pdu.StatusOK {
				return fmt.Errorf("MO answered %s", st.Name())
			}
		}
		return nil
	}
	await := func(want string) error {
		select {
		case txt := <-inbox:
			if !strings.Contains(txt, want) {
				return fmt.Errorf("reply %q, want %q", txt, want)
			}
			return nil
		case <-time.After(30 * time.Second):
			return errors.New("no reply within 30s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := send("9779", "IM2PAY "+msisdn+" 50000"); err != nil {
		return err
	}
	if err := await("PIN"); err != nil {
		return err
	}
	if err := send("3355", pin); err != nil {
		return err
	}
	return await("BERHASIL")
}

// replyRouter hands each MT to the goroutine playing its recipient.
type replyRouter struct {
	mu  sync.Mutex
	chs map[domain.MSISDN]chan string
}

func newReplyRouter() *replyRouter { return &replyRouter{chs: map[domain.MSISDN]chan string{}} }

func (r *replyRouter) subscribe(msisdn string) <-chan string {
	n, _ := keywords.NormalizeMSISDN(msisdn)
	ch := make(chan string, 16)
	r.mu.Lock()
	r.chs[n] = ch
	r.mu.Unlock()
	return ch
}

func (r *replyRouter) deliver(s smsc.Submission) {
	txt, err := s.Text()
	if err != nil {
		txt = "undecodable: " + hex.EncodeToString(s.UserData())
	}
	n, _ := keywords.NormalizeMSISDN(s.Destination())
	r.mu.Lock()
	ch := r.chs[n]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- txt:
		default:
		}
	}
}
