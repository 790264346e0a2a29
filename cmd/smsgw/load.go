package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
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
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/smsgw"
)

const loadUsage = `load [-flow saldo|topup] [-n 20000] [-msisdns 1000] [-window 100] [-rate MO/s] [-duration 60s]
            [-against gateway|echo] [-external host:port [-binds N] -system-id ID -password PW] [-json] [-cpuprofile FILE]
       load seed [-config config.toml] [-msisdns 1000] [-pin 135790]
Plays the SMSC: delivers MOs and times each reply (MO → reply) and each flow.
  saldo   one MO (SALDO to the request code), one reply
  topup   IM2PAY to the request code, the PIN prompt, the PIN to the PIN code, the result
  open    IM2PAY and its PIN prompt only: leaves an open session for each of the first -n customers;
          in-process, it then reports the memory in use and times the expiry of all those sessions,
          then the queueing of their notices, while the other customers send SALDO at -during-rate,
          and reports their MO → reply during each
  -against gateway   the gateway's own code in this process, on a fresh database (default)
  -against echo      a zero-work ESME that answers every MO at once: the harness's own ceiling
  -postgres ENV      the in-process gateway runs on the (empty) PostgreSQL database whose URL
                     is in the environment variable ENV instead of a fresh SQLite file
  -external ADDR     listen on ADDR and wait for a gateway started separately to bind
                     (its config: a [[bind]] to ADDR with -system-id/-password);
                     register its customers first with 'smsgw load seed'
  -binds N           with -external: wait for N binds (several daemons on one database)
                     before starting; each MO goes to the next bound session in turn, as
                     an SMSC spreads MOs over an ESME's binds, and a reply counts
                     whichever bind it comes back on
  -window N          flows in progress at once (MOs the SMSC has in flight)
  -rate R            start at most R MOs per second (0: as fast as replies come)
  -duration D        with -rate: run for D instead of -n flows`

// Load customers: numbers 0812 followed by 8 digits, all with one PIN.
const (
	loadPIN          = "135790"
	loadMSISDNFormat = "0812%08d"
	loadSystemID     = "load"
	loadPassword     = "loadpw"
)

// loadOptions are the flags of `smsgw load`.
type loadOptions struct {
	flow       string
	postgres   string // environment variable holding a PostgreSQL URL
	flows      int
	msisdns    int
	window     int
	rate       float64
	duration   time.Duration
	against    string
	external   string
	binds      int // with -external: binds to wait for before starting
	systemID   string
	password   string
	json       bool
	progress   bool
	cpuProfile string
	dir        string
	request    string
	pinCode    string
	pin        string
	duringRate float64
	noticesFor time.Duration
	first      int // the first customer used: customers first..msisdns-1
}

// cmdLoad is `smsgw load`: it plays the SMSC over TCP against the
// gateway (in this process, or any running one with -external) or a
// zero-work responder, and reports throughput and latency.
func cmdLoad(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		return cmdLoadSeed(ctx, args[1:], stdout)
	}
	fs, _ := newFlags("load")
	o := loadOptions{}
	fs.StringVar(&o.flow, "flow", "topup", "saldo, topup or open")
	fs.IntVar(&o.flows, "n", 2000, "flows to run")
	fs.IntVar(&o.msisdns, "msisdns", 1000, "distinct customers")
	fs.IntVar(&o.window, "window", 100, "flows in progress at once")
	fs.Float64Var(&o.rate, "rate", 0, "MOs per second at most (0: unpaced)")
	fs.DurationVar(&o.duration, "duration", 0, "with -rate: run this long instead of -n flows")
	fs.StringVar(&o.against, "against", "gateway", "gateway or echo")
	fs.StringVar(&o.external, "external", "", "listen here for a gateway started separately")
	fs.IntVar(&o.binds, "binds", 1, "with -external: wait for this many binds (one per daemon) before starting")
	fs.StringVar(&o.systemID, "system-id", loadSystemID, "system_id the gateway binds with (-external)")
	fs.StringVar(&o.password, "password", loadPassword, "password the gateway binds with (-external)")
	fs.BoolVar(&o.json, "json", false, "print the summary as JSON")
	fs.BoolVar(&o.progress, "progress", true, "show progress on stderr")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fs.StringVar(&o.dir, "dir", "", "directory for the in-process gateway's database (default: a temporary one)")
	fs.StringVar(&o.postgres, "postgres", "", "the in-process gateway runs on the PostgreSQL database whose URL is in this environment variable (an empty database)")
	fs.StringVar(&o.request, "request-code", "9779", "request short code")
	fs.StringVar(&o.pinCode, "pin-code", "3355", "PIN short code")
	fs.StringVar(&o.pin, "pin", loadPIN, "the customers' PIN")
	fs.DurationVar(&o.noticesFor, "notices-for", 0, "-flow open: after the expiry, measure while the notices are queued for this long at most (0: until all are)")
	fs.Float64Var(&o.duringRate, "during-rate", 200, "-flow open: SALDO MOs per second sent, by the customers without a session (-n to -msisdns), while the sessions expire (0: none)")
	if _, err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, loadUsage)
		}
		return err
	}
	switch {
	case o.flow != "saldo" && o.flow != "topup" && o.flow != "open":
		return fmt.Errorf("%w: load: -flow must be saldo, topup or open", errUsage)
	case o.flow == "open" && o.flows > o.msisdns:
		return fmt.Errorf("%w: load: -flow open leaves one session per customer: -n at most -msisdns", errUsage)
	case o.against != "gateway" && o.against != "echo":
		return fmt.Errorf("%w: load: -against must be gateway or echo", errUsage)
	case o.external != "" && o.against == "echo":
		return fmt.Errorf("%w: load: -external and -against echo exclude each other", errUsage)
	case o.against == "echo" && o.flow != "saldo":
		return fmt.Errorf("%w: load: the echo responder answers saldo flows only", errUsage)
	case o.binds < 1 || o.binds > 1000 || (o.binds > 1 && o.external == ""):
		return fmt.Errorf("%w: load: -binds must be between 1 and 1000, and more than 1 only with -external", errUsage)
	case o.flows < 1 || o.msisdns < 1 || o.msisdns > 100_000_000 || o.window < 1 || o.window > 100_000:
		return fmt.Errorf("%w: load: need -n >= 1, 1 <= -msisdns <= 10^8, 1 <= -window <= 100000", errUsage)
	case o.rate < 0 || o.duration < 0 || (o.duration > 0 && o.rate == 0):
		return fmt.Errorf("%w: load: -duration needs a positive -rate", errUsage)
	}
	if o.duration > 0 {
		o.flows = max(1, int(o.rate*o.duration.Seconds())/o.mosPerFlow())
	}

	replies := newReplyRouter()
	listen := "127.0.0.1:0"
	if o.external != "" {
		listen = o.external
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("load: listen: %w", err)
	}
	srv := &smsc.Server{
		Listener:    l,
		Credentials: map[string]string{o.systemID: o.password},
		MaxRecords:  -1,
		OnSubmit:    replies.deliver,
	}
	srv.Start()
	defer srv.Close()

	peer, err := startLoadPeer(ctx, &o, srv)
	if err != nil {
		return err
	}
	defer peer.stop()
	if o.external != "" {
		fmt.Fprintf(os.Stderr, "load: playing the SMSC on %s; waiting for a gateway to bind as %q\n", srv.Addr(), o.systemID)
	}
	wait := 10 * time.Second
	if o.external != "" {
		wait = 5 * time.Minute
	}
	bctx, bcancel := context.WithTimeout(ctx, wait)
	err = waitBinds(bctx, srv, o.systemID, o.binds)
	bcancel()
	if err != nil {
		return fmt.Errorf("load: %w %v", err, peer.err())
	}
	if err := peer.seed(ctx, &o); err != nil {
		return err
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mos := newMOSender(srv, o.systemID)
	if o.external != "" {
		fmt.Fprintf(os.Stderr, "load: %d binds as %q up; starting %d %s flows\n", len(receivers(srv, o.systemID)), o.systemID, o.flows, o.flow)
	}
	res := runLoad(ctx, &o, mos, replies)
	if o.flow == "open" && peer.expire != nil {
		res.RSSMB = rssMB()
		// While the sessions expire, the same customers keep sending
		// SALDO at -during-rate: how MOs fare next to the expiry job.
		during := o
		// Customers without a session do it (those of -n to -msisdns), so
		// that no expiry notice crosses their replies.
		during.flow, during.rate, during.flows, during.progress = "saldo", o.duringRate, math.MaxInt32, false
		during.first = o.flows
		// meanwhile runs work while the customers send SALDO, and returns
		// how long work took and their MO → reply.
		meanwhile := func(work func() error) (float64, *latency, error) {
			dctx, stopDuring := context.WithCancel(ctx)
			var dres *loadResult
			ddone := make(chan struct{})
			if during.rate > 0 && during.first < o.msisdns {
				go func() { defer close(ddone); dres = runLoad(dctx, &during, mos, replies) }()
			} else {
				close(ddone)
			}
			start := time.Now()
			err := work()
			took := time.Since(start).Seconds()
			stopDuring()
			<-ddone
			if dres == nil {
				return took, nil, err
			}
			return took, &dres.Reply, err
		}
		var err error
		res.ExpirySeconds, res.DuringExpiry, err = meanwhile(func() (err error) {
			res.Expired, err = peer.expire(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("load: expire sessions: %w", err)
		}
		// The notices follow, queued by the gateway's notice loop.
		res.NoticeSeconds, res.DuringNotices, err = meanwhile(func() (err error) {
			res.Notices, err = peer.notices(ctx, res.Expired, o.noticesFor)
			return err
		})
		if err != nil {
			return fmt.Errorf("load: expiry notices: %w", err)
		}
	}
	if err := peer.stop(); err != nil {
		return err
	}
	res.Against = o.against
	res.MOsPerBind = mos.counts()
	if o.external != "" {
		res.Against = "external gateway at " + srv.Addr()
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.print(stdout)
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d flows failed", res.Failed)
	}
	return nil
}

// mosPerFlow is how many MOs one flow sends.
func (o *loadOptions) mosPerFlow() int {
	if o.flow == "topup" {
		return 2
	}
	return 1
}

// msisdn returns the number of load customer i.
func loadMSISDN(i int) string { return fmt.Sprintf(loadMSISDNFormat, i) }

// loadPeer is what answers the harness's MOs: the gateway in this process,
// the echo responder, or nothing here (-external).
type loadPeer struct {
	// expire, in-process only, expires every open session as the cron
	// job does once their TTL has passed, and returns how many.
	expire func(ctx context.Context) (int, error)
	// notices, in-process only, waits until the gateway has queued the
	// expiry notices of the want expired sessions, or for at most limit
	// (> 0), and returns how many it has queued.
	notices func(ctx context.Context, want int, limit time.Duration) (int, error)
	stopFn  func() error
	errFn   func() error
	seedFn  func(ctx context.Context, o *loadOptions) error
	once    sync.Once
	res     error
}

func (p *loadPeer) stop() error {
	p.once.Do(func() {
		if p.stopFn != nil {
			p.res = p.stopFn()
		}
	})
	return p.res
}

func (p *loadPeer) err() error {
	if p.errFn == nil {
		return nil
	}
	return p.errFn()
}

func (p *loadPeer) seed(ctx context.Context, o *loadOptions) error {
	if p.seedFn == nil {
		return nil
	}
	return p.seedFn(ctx, o)
}

// startLoadPeer starts what -against names, bound to srv.
func startLoadPeer(ctx context.Context, o *loadOptions, srv *smsc.Server) (*loadPeer, error) {
	host, port, _ := net.SplitHostPort(srv.Addr())
	p, _ := strconv.Atoi(port)
	switch {
	case o.external != "":
		return &loadPeer{}, nil
	case o.against == "echo":
		return startEchoPeer(ctx, srv.Addr(), o)
	}
	work := o.dir
	var cleanup func()
	if work == "" {
		d, err := os.MkdirTemp("", "smsgw-load")
		if err != nil {
			return nil, err
		}
		work, cleanup = d, func() { os.RemoveAll(d) }
	}
	cfg := DefaultConfig()
	cfg.dir = work
	// Synthetic customers send flow after flow: the per-sender abuse
	// limits would refuse them, and they are not what is measured.
	cfg.Abuse = AbuseConfig{}
	cfg.Log.Level = "error"
	cfg.HTTP.Listen = ""
	cfg.ShortCodes.Request, cfg.ShortCodes.PIN = o.request, o.pinCode
	cfg.Security = SecurityConfig{PINKeyFile: filepath.Join(work, "pin.key"), CreatePINKey: true}
	cfg.Binds = []BindConfig{defaultBind(BindConfig{
		Name: "load", Host: host, Port: p, SystemID: o.systemID, Password: o.password, Window: min(o.window, 1000),
	})}
	cfg.Outbox.Poll = Duration{50 * time.Millisecond}
	if o.flow == "open" {
		// Opening a million sessions takes minutes: none may lapse (and
		// be expired by the cron job) before all are open and the expiry
		// is timed.
		cfg.Session.TTL = Duration{24 * time.Hour}
	}
	if o.postgres != "" {
		cfg.Database.Driver, cfg.Database.DSNEnv = "postgres", o.postgres
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	app := &App{Config: cfg, Logger: logger}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	var runErr error
	var got bool
	return &loadPeer{
		stopFn: func() error {
			cancel()
			if !got {
				runErr, got = <-done, true
			}
			if cleanup != nil {
				cleanup()
			}
			return runErr
		},
		errFn: func() error {
			select {
			case runErr = <-done:
				got = true
				return runErr
			default:
				return nil
			}
		},
		seedFn: func(ctx context.Context, o *loadOptions) error {
			return seedCustomers(ctx, app.gw, o.msisdns, o.pin)
		},
		expire: func(ctx context.Context) (int, error) {
			return app.gw.ExpirePending(ctx, time.Now().Add(cfg.Session.TTL.Duration+time.Minute))
		},
		notices: func(ctx context.Context, want int, limit time.Duration) (int, error) {
			// The notice loop may start as the expiry ends, before this:
			// every notice of the run counts (none is queued before).
			err := noticesQueued(ctx, app.gw, want, limit)
			return int(app.gw.Stats().ExpiryNotices.Load()), err
		},
	}, nil
}

// noticesQueued waits until gw has counted want expiry notices queued,
// or for limit when > 0. It also ends a moment after no expired session
// owes its notice any more: the loop counts a batch just after its
// commit, and a notice that failed is not counted.
func noticesQueued(ctx context.Context, gw *smsgw.Gateway, want int, limit time.Duration) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var end <-chan time.Time
	if limit > 0 {
		end = time.After(limit)
	}
	var settled <-chan time.Time // once none is owed
	for gw.Stats().ExpiryNotices.Load() < int64(want) {
		if settled == nil {
			var due []smsgw.Session
			err := gw.Store().View(ctx, func(tx smsgw.Tx) (err error) {
				due, err = tx.ExpiryNoticesDue(0, 1)
				return err
			})
			if err != nil {
				return err
			}
			if len(due) == 0 {
				settled = time.After(time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end:
			return nil
		case <-settled:
			return nil
		case <-t.C:
		}
	}
	return nil
}

// seedCustomers registers load customers 0..n-1, each with its own
// wallet and the PIN pin; those already registered are left alone.
func seedCustomers(ctx context.Context, gw *smsgw.Gateway, n int, pin string) error {
	// 16 at a time: the store commits concurrent registrations together.
	var (
		next atomic.Int64
		mu   sync.Mutex
		ferr error
		wg   sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				m := loadMSISDN(i)
				err := gw.AddCustomer(ctx, m, m, "load", domain.PIN(pin))
				if err != nil && smsgw.ErrorCode(err) != smsgw.EConflict {
					mu.Lock()
					ferr = cmp.Or(ferr, fmt.Errorf("seed customer %s: %w", m, err))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return ferr
}

// cmdLoadSeed is `smsgw load seed`: it registers the load customers in the
// configured store, for a gateway that `smsgw load -external` will drive.
func cmdLoadSeed(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := newFlags("load seed")
	n := fs.Int("msisdns", 1000, "customers to register")
	pin := fs.String("pin", loadPIN, "their PIN")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("%w: load seed: -msisdns must be positive", errUsage)
	}
	if _, err := keywords.ParsePIN(*pin, keywords.MinPINLength, keywords.MaxPINLength); err != nil {
		return fmt.Errorf("%w: load seed: -pin: %v", errUsage, err)
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := seedCustomers(ctx, gw, *n, *pin); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d load customers registered (%s to %s)\n", *n, loadMSISDN(0), loadMSISDN(*n-1))
	return nil
}

// startEchoPeer binds a zero-work ESME to addr that answers every MO with
// one MT at once, storing nothing: what the harness can drive at most.
func startEchoPeer(ctx context.Context, addr string, o *loadOptions) (*loadPeer, error) {
	var c *smpp.Client
	var wg sync.WaitGroup
	handler := smpp.HandlerFunc(func(_ context.Context, p pdu.PDU) error {
		d, ok := p.(*pdu.DeliverSM)
		if !ok {
			return nil
		}
		sm := &pdu.SubmitSM{}
		sm.SourceAddr, sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = d.DestinationAddr, d.SourceAddrTON, d.SourceAddrNPI, d.SourceAddr
		sm.ShortMessage = []byte("Saldo echo")
		wg.Go(func() { _, _ = c.Submit(context.Background(), sm) })
		return nil
	})
	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr: addr, SystemID: o.systemID, Password: o.password, Window: min(o.window, 1000),
		Workers: 32, Handler: handler, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	return &loadPeer{stopFn: func() error {
		wg.Wait()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}}, nil
}

// loadResult is the summary of a run.
type loadResult struct {
	Flow      string `json:"flow"`
	Against   string `json:"against"`
	Flows     int    `json:"flows"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
	Unmatched int64  `json:"unmatched_replies"`
	// Redelivered counts MOs the gateway refused for now (it could not
	// store them) that the harness delivered again, as an SMSC does.
	Redelivered int64   `json:"redelivered_mos"`
	MSISDNs     int     `json:"msisdns"`
	Window      int     `json:"window"`
	Rate        float64 `json:"rate,omitempty"`
	Seconds     float64 `json:"seconds"`
	FlowsPerSec float64 `json:"flows_per_second"`
	MOPerSec    float64 `json:"mo_per_second"`
	MTPerSec    float64 `json:"mt_per_second"`
	PDUsPerSec  float64 `json:"pdus_per_second"` // deliver_sm and submit_sm with their responses
	Reply       latency `json:"mo_to_reply"`
	FlowTime    latency `json:"flow_time"`
	// MOsPerBind is how many MOs each bound session received, in bind
	// order (one entry per daemon with -external -binds N).
	MOsPerBind []int64  `json:"mos_per_bind,omitempty"`
	Errors     []string `json:"errors,omitempty"`
	// -flow open, in-process: the process's resident memory with the
	// sessions open, and the expiry of all of them.
	RSSMB         float64  `json:"rss_mb,omitempty"`
	Expired       int      `json:"expired,omitempty"`
	ExpirySeconds float64  `json:"expiry_seconds,omitempty"`
	DuringExpiry  *latency `json:"mo_to_reply_during_expiry,omitempty"`
	// The expiry notices, queued after the expiry: how long until the last
	// was, and the SALDO MO → reply meanwhile.
	NoticeSeconds float64  `json:"notice_seconds,omitempty"`
	Notices       int      `json:"notices,omitempty"` // queued in NoticeSeconds (all, unless -notices-for ended it)
	DuringNotices *latency `json:"mo_to_reply_during_notices,omitempty"`
	Machine       string   `json:"machine"`
}

// latency is a distribution in milliseconds.
type latency struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// String is the latencies as the summary prints them.
func (l latency) String() string {
	return fmt.Sprintf("p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms", l.P50, l.P90, l.P99, l.Max)
}

func latencyOf(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := min(len(ds)-1, max(0, int(math.Ceil(q*float64(len(ds))))-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	return latency{P50: at(.50), P90: at(.90), P99: at(.99), Max: at(1)}
}

func (r *loadResult) print(w io.Writer) {
	fmt.Fprintf(w, "smsgw load: %d %s flows against %s, %d customers, window %d", r.Flows, r.Flow, r.Against, r.MSISDNs, r.Window)
	if r.Rate > 0 {
		fmt.Fprintf(w, ", paced at %.0f MO/s", r.Rate)
	}
	fmt.Fprintf(w, ", %s\n", r.Machine)
	fmt.Fprintf(w, "completed %d, failed %d, unmatched replies %d, MOs refused for now and delivered again %d, in %.3fs\n",
		r.Completed, r.Failed, r.Unmatched, r.Redelivered, r.Seconds)
	if len(r.MOsPerBind) > 1 {
		parts := make([]string, len(r.MOsPerBind))
		for i, n := range r.MOsPerBind {
			parts[i] = strconv.FormatInt(n, 10)
		}
		fmt.Fprintf(w, "%d binds, MOs per bind: %s\n", len(r.MOsPerBind), strings.Join(parts, " / "))
	}
	fmt.Fprintf(w, "throughput %.1f flows/s: %.1f MO/s, %.1f MT/s, %.1f PDU/s\n", r.FlowsPerSec, r.MOPerSec, r.MTPerSec, r.PDUsPerSec)
	fmt.Fprintf(w, "MO → reply: %s\n", r.Reply)
	if r.Flow == "topup" {
		fmt.Fprintf(w, "flow (IM2PAY → result): %s\n", r.FlowTime)
	}
	if r.RSSMB > 0 {
		fmt.Fprintf(w, "with %d sessions open: RSS %.0f MB (gateway and harness); expired %d in %.2fs (%.0f/s)\n",
			r.Completed, r.RSSMB, r.Expired, r.ExpirySeconds, float64(r.Expired)/r.ExpirySeconds)
	}
	if d := r.DuringExpiry; d != nil {
		fmt.Fprintf(w, "SALDO MO → reply during the expiry: %s\n", d)
	}
	if r.Expired > 0 {
		fmt.Fprintf(w, "%d of their notices queued in a further %.2fs (%.0f/s)\n", r.Notices, r.NoticeSeconds, float64(r.Notices)/r.NoticeSeconds)
	}
	if d := r.DuringNotices; d != nil {
		fmt.Fprintf(w, "SALDO MO → reply while the notices were queued: %s\n", d)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// runLoad runs o.flows flows over o.window workers and measures them.
func runLoad(ctx context.Context, o *loadOptions, srv *moSender, replies *replyRouter) *loadResult {
	var (
		next      atomic.Int64
		failed    atomic.Int64
		done      atomic.Int64
		mu        sync.Mutex
		replyLat  []time.Duration
		flowLat   []time.Duration
		errs      []string
		wg        sync.WaitGroup
		customers = make([]*loadCustomer, o.msisdns-o.first)
	)
	for i := range customers {
		customers[i] = replies.subscribe(loadMSISDN(o.first + i))
	}
	pace := newPacer(o.rate)
	stopProgress := startProgress(o, &done)
	start := time.Now()
	for range min(o.window, o.flows) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(o.flows) || ctx.Err() != nil {
					return
				}
				c := customers[int(i)%len(customers)]
				c.mu.Lock() // one flow per customer at a time
				t0 := time.Now()
				lats, err := c.flow(ctx, o, srv, pace)
				d := time.Since(t0)
				c.mu.Unlock()
				done.Add(1)
				mu.Lock()
				replyLat = append(replyLat, lats...)
				if err != nil {
					failed.Add(1)
					if len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s: %v", c.msisdn, err))
					}
				} else {
					flowLat = append(flowLat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	stopProgress()
	n := int(done.Load())
	ok := n - int(failed.Load())
	mos := float64(len(replyLat))
	return &loadResult{
		Flow: o.flow, Flows: o.flows, Completed: ok, Failed: int(failed.Load()), Unmatched: replies.unmatched.Load(),
		Redelivered: srv.redelivered.Load(),
		MSISDNs:     o.msisdns, Window: o.window, Rate: o.rate, Seconds: elapsed,
		FlowsPerSec: float64(ok) / elapsed, MOPerSec: mos / elapsed, MTPerSec: mos / elapsed,
		PDUsPerSec: 4 * mos / elapsed,
		Reply:      latencyOf(replyLat), FlowTime: latencyOf(flowLat), Errors: errs,
		Machine: fmt.Sprintf("%s/%s, %d CPU", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
	}
}

// flow runs one flow of customer c and returns the MO → reply latency of
// each MO that was answered.
func (c *loadCustomer) flow(ctx context.Context, o *loadOptions, srv *moSender, pace *pacer) ([]time.Duration, error) {
	var lats []time.Duration
	step := func(to, text, want string) error {
		if err := pace.wait(ctx); err != nil {
			return err
		}
		c.expect.Add(1)
		t0 := time.Now()
		var err error
		// An MO refused for now (ESME_RX_T_APPN: the gateway could not
		// store it) is delivered again later, as an SMSC does, a few times.
		for attempt := 0; ; attempt++ {
			var sts []pdu.Status
			sts, err = srv.deliver(ctx, c.msisdn, to, text)
			temporary := false
			for _, st := range sts {
				if st != pdu.StatusOK && err == nil {
					err, temporary = fmt.Errorf("MO %q answered %s", text, st.Name()), st.Temporary()
				}
			}
			if err == nil || !temporary || attempt == loadRedeliveries {
				if err != nil && attempt > 0 {
					err = fmt.Errorf("%w, delivered %d times", err, attempt+1)
				}
				break
			}
			srv.redelivered.Add(1)
			select {
			case <-time.After(loadRedeliverAfter):
			case <-ctx.Done():
				c.expect.Add(-1)
				return ctx.Err()
			}
		}
		if err != nil {
			c.expect.Add(-1)
			return err
		}
		select {
		case r := <-c.inbox:
			lats = append(lats, r.at.Sub(t0))
			if want != "" && !strings.Contains(r.text, want) {
				return fmt.Errorf("reply to %q is %q, want %q in it", text, r.text, want)
			}
			return nil
		case <-time.After(30 * time.Second):
			c.expect.Add(-1)
			return fmt.Errorf("no reply to %q within 30s", text)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if o.flow == "open" {
		return lats, step(o.request, "IM2PAY "+c.msisdn+" 50000", "PIN")
	}
	if o.flow == "saldo" {
		want := "Saldo"
		if o.against == "echo" {
			want = ""
		}
		return lats, step(o.request, "SALDO", want)
	}
	if err := step(o.request, "IM2PAY "+c.msisdn+" 50000", "PIN"); err != nil {
		return lats, err
	}
	return lats, step(o.pinCode, o.pin, "BERHASIL")
}

// rssMB returns the resident memory of this process in MB (Linux), or 0.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// pacer spaces MOs at a fixed rate; a nil pacer does not wait.
type pacer struct {
	mu   sync.Mutex
	next time.Time
	gap  time.Duration
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{next: time.Now(), gap: time.Duration(float64(time.Second) / rate)}
}

func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	at := p.next
	p.next = p.next.Add(p.gap)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startProgress draws a progress bar on stderr until the returned func is
// called.
func startProgress(o *loadOptions, done *atomic.Int64) func() {
	if !o.progress {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				fmt.Fprintln(os.Stderr)
				return
			case <-t.C:
			}
			n := done.Load()
			frac := float64(n) / float64(o.flows)
			bar := strings.Repeat("#", int(frac*30)) + strings.Repeat(" ", 30-int(frac*30))
			fmt.Fprintf(os.Stderr, "\r[%s] %3.0f%% %d/%d flows, %.0f flows/s ", bar, 100*frac, n, o.flows,
				float64(n)/time.Since(start).Seconds())
		}
	}()
	return func() { close(stop); <-finished }
}

// loadCustomer is one customer the harness plays: its replies arrive in
// inbox; expect counts the replies it waits for, so that any other reply
// is counted as unmatched.
type loadCustomer struct {
	msisdn string
	mu     sync.Mutex
	inbox  chan loadReply
	expect atomic.Int64
}

type loadReply struct {
	text string
	at   time.Time
}

// replyRouter hands each MT to the customer it is addressed to.
type replyRouter struct {
	mu        sync.Mutex
	customers map[domain.MSISDN]*loadCustomer
	unmatched atomic.Int64
}

func newReplyRouter() *replyRouter {
	return &replyRouter{customers: map[domain.MSISDN]*loadCustomer{}}
}

func (r *replyRouter) subscribe(msisdn string) *loadCustomer {
	n, _ := keywords.NormalizeMSISDN(msisdn)
	c := &loadCustomer{msisdn: msisdn, inbox: make(chan loadReply, 4)}
	r.mu.Lock()
	r.customers[n] = c
	r.mu.Unlock()
	return c
}

func (r *replyRouter) deliver(s smsc.Submission) {
	at := time.Now()
	txt, err := s.Text()
	if err != nil {
		txt = "undecodable: " + hex.EncodeToString(s.UserData())
	}
	n, _ := keywords.NormalizeMSISDN(s.Destination())
	r.mu.Lock()
	c := r.customers[n]
	r.mu.Unlock()
	if c == nil || c.expect.Add(-1) < 0 {
		if c != nil {
			c.expect.Add(1)
		}
		r.unmatched.Add(1)
		return
	}
	select {
	case c.inbox <- loadReply{text: txt, at: at}:
	default:
		r.unmatched.Add(1)
	}
}

// waitBinds waits until n sessions bound as systemID can receive MOs.
func waitBinds(ctx context.Context, srv *smsc.Server, systemID string, n int) error {
	if _, err := srv.WaitBound(ctx, systemID); err != nil {
		return fmt.Errorf("no bind as %q: %w", systemID, err)
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if got := len(receivers(srv, systemID)); got >= n {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("%d of %d binds as %q: %w", got, n, systemID, context.Cause(ctx))
		}
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// receivers returns the open sessions bound as systemID that take MOs
// (receiver or transceiver), in bind order.
func receivers(srv *smsc.Server, systemID string) []*smsc.Conn {
	var cs []*smsc.Conn
	for _, c := range srv.Conns() {
		if m := c.Mode(); m.CanReceive() && c.SystemID() == systemID {
			cs = append(cs, c)
		}
	}
	return cs
}

// An MO the gateway refuses for now is delivered again after
// loadRedeliverAfter, at most loadRedeliveries times.
const (
	loadRedeliveries   = 5
	loadRedeliverAfter = time.Second
)

// moSender delivers the harness's MOs, each to the next bound session in
// turn (round-robin, as an SMSC spreads MOs over an ESME's binds), and
// counts the MOs each session received. Replies are matched by the
// customer they are addressed to, whichever session sends them.
type moSender struct {
	srv      *smsc.Server
	systemID string
	next     atomic.Uint64
	mu       sync.Mutex
	perConn  map[uint64]*atomic.Int64 // by Conn.ID
	// redelivered counts MOs delivered again after a temporary refusal.
	redelivered atomic.Int64
}

func newMOSender(srv *smsc.Server, systemID string) *moSender {
	return &moSender{srv: srv, systemID: systemID, perConn: map[uint64]*atomic.Int64{}}
}

// deliver sends text from from to to as an MO (all its parts on one
// session) and returns the ESME's status for each part.
func (m *moSender) deliver(ctx context.Context, from, to, text string) ([]pdu.Status, error) {
	ds, err := m.srv.TextPDUs(from, to, text, &smsc.TextOptions{SourceTON: 1, SourceNPI: 1})
	if err != nil {
		return nil, err
	}
	cs := receivers(m.srv, m.systemID)
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w (system_id %q)", smsc.ErrNotBound, m.systemID)
	}
	c := cs[(m.next.Add(1)-1)%uint64(len(cs))]
	m.mu.Lock()
	n := m.perConn[c.ID()]
	if n == nil {
		n = new(atomic.Int64)
		m.perConn[c.ID()] = n
	}
	m.mu.Unlock()
	n.Add(1)
	sts := make([]pdu.Status, 0, len(ds))
	for i, d := range ds {
		st, err := c.Deliver(ctx, d)
		if err != nil {
			return sts, fmt.Errorf("deliver part %d of %d: %w", i+1, len(ds), err)
		}
		sts = append(sts, st)
	}
	return sts, nil
}

// counts returns the MOs delivered to each session, in bind order.
func (m *moSender) counts() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]uint64, 0, len(m.perConn))
	for id := range m.perConn {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = m.perConn[id].Load()
	}
	return out
}
