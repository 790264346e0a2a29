package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
)

// runLoadCmd runs `smsgw load args...` in this process and decodes its
// JSON summary.
func runLoadCmd(t *testing.T, args ...string) loadResult {
	t.Helper()
	var out bytes.Buffer
	if err := cmdLoad(t.Context(), append(args, "-json", "-progress=false"), &out); err != nil {
		t.Fatalf("smsgw load %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	return res
}

// The harness against the zero-work responder and against the gateway in
// this process: every flow completes, every reply is matched, and the
// latencies are measured.
func TestLoadInProcess(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"echo", []string{"-against", "echo", "-flow", "saldo", "-n", "300", "-msisdns", "20", "-window", "10"}, 300},
		{"saldo", []string{"-flow", "saldo", "-n", "60", "-msisdns", "10", "-window", "5"}, 60},
		{"topup", []string{"-flow", "topup", "-n", "30", "-msisdns", "10", "-window", "5"}, 30},
		{"paced", []string{"-flow", "saldo", "-rate", "100", "-duration", "500ms", "-msisdns", "10", "-window", "5"}, 50},
		{"open", []string{"-flow", "open", "-n", "40", "-msisdns", "60", "-window", "5", "-during-rate", "200"}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runLoadCmd(t, tc.args...)
			if res.Completed != tc.want || res.Failed != 0 || res.Unmatched != 0 {
				t.Fatalf("completed %d, failed %d, unmatched %d (%v); want %d, 0, 0", res.Completed, res.Failed, res.Unmatched, res.Errors, tc.want)
			}
			if res.Reply.P50 <= 0 || res.Reply.Max < res.Reply.P99 || res.FlowsPerSec <= 0 {
				t.Errorf("latencies %+v, %.1f flows/s: want measured ones", res.Reply, res.FlowsPerSec)
			}
			if tc.name == "open" && (res.Expired != tc.want || res.RSSMB <= 0 || res.ExpirySeconds <= 0 || res.DuringExpiry == nil ||
				res.NoticeSeconds <= 0 || res.DuringNotices == nil || res.Notices != tc.want) {
				t.Errorf("open sessions: expired %d in %.3fs, %d notices in %.3fs, RSS %.1f MB; want %d expired and notified, all measured",
					res.Expired, res.ExpirySeconds, res.Notices, res.NoticeSeconds, res.RSSMB, tc.want)
			}
		})
	}
}

// Bad flags are usage errors naming what is wrong.
func TestLoadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-flow", "nope"}, {"-against", "echo", "-flow", "topup"}, {"-flow", "open", "-n", "20", "-msisdns", "10"}, {"-duration", "1s"}, {"-n", "0"},
		{"-external", "127.0.0.1:0", "-against", "echo"}, {"-binds", "2"}, {"-external", "127.0.0.1:0", "-binds", "0"},
	} {
		err := cmdLoad(t.Context(), args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("smsgw load %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

// -external plays the SMSC for a gateway started separately: the real
// daemon binds to it and the harness drives top-ups through it, after
// `smsgw load seed` registered the customers.
func TestLoadExternalDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	bin := daemonBinary(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	host, port, _ := net.SplitHostPort(addr)
	config := filepath.Join(dir, "config.toml")
	body := fmt.Sprintf(`
[database]
path = "gw.db"
[http]
listen = ""
[simulator]
enabled = false
[abuse]
mo_per_minute = 0
max_accounts = 0
[[bind]]
name = "load"
host = %q
port = %s
system_id = "gw"
password_env = "LOAD_BIND_PASSWORD"
`, host, port)
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SMSGW_PIN_KEY="+e2eKey, "LOAD_BIND_PASSWORD=pw")
	seed := exec.Command(bin, "load", "seed", "-config", config, "-msisdns", "5")
	seed.Env = env
	if out, err := seed.CombinedOutput(); err != nil || !strings.Contains(string(out), "5 load customers registered") {
		t.Fatalf("load seed: %v\n%s", err, out)
	}
	var out, errb bytes.Buffer
	load := exec.Command(bin, "load", "-external", addr, "-system-id", "gw", "-password", "pw",
		"-flow", "topup", "-n", "20", "-msisdns", "5", "-window", "5", "-json", "-progress=false")
	load.Stdout, load.Stderr = &out, &errb
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	loadDone := make(chan error, 1)
	go func() { loadDone <- load.Wait() }()
	// Whichever starts first, the daemon's reconnect backoff binds it.
	daemon := exec.Command(bin, "run", "-config", config)
	daemon.Env, daemon.Dir = env, dir
	var dlog bytes.Buffer
	daemon.Stderr = &dlog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = daemon.Process.Signal(os.Interrupt)
		_ = daemon.Wait()
	}()
	select {
	case err := <-loadDone:
		if err != nil {
			t.Fatalf("load -external: %v\n%s\n%s\ndaemon:\n%s", err, out.String(), errb.String(), dlog.String())
		}
	case <-time.After(2 * time.Minute):
		_ = load.Process.Kill()
		t.Fatalf("load -external did not finish\n%s\ndaemon:\n%s", errb.String(), dlog.String())
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	if res.Completed != 20 || res.Failed != 0 || res.Unmatched != 0 || !strings.Contains(res.Against, "external") {
		t.Fatalf("external run = %+v, want 20 top-ups completed against the external gateway", res)
	}
}

// -external -binds 2 waits for two binds, as from two daemons on one
// database, and spreads the MOs over them; each reply is matched to its
// flow whichever bind sends it. Two stateless responders stand in for the
// daemons, and each answers every MO through the other's bind. Two MOs are
// refused for now (ESME_RX_T_APPN, as a gateway that could not store them
// answers): the harness delivers them again, as an SMSC does.
func TestLoadExternalBinds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var out bytes.Buffer
	loadDone := make(chan error, 1)
	go func() {
		loadDone <- cmdLoad(t.Context(), []string{"-external", addr, "-binds", "2", "-system-id", "gw", "-password", "pw",
			"-flow", "topup", "-n", "40", "-msisdns", "8", "-window", "4", "-json", "-progress=false"}, &out)
	}()
	ctx, cancel := context.WithCancel(t.Context())
	var clients [2]*smpp.Client
	var wg sync.WaitGroup
	var mos atomic.Int64
	for i := range clients {
		other := &clients[1-i]
		handler := smpp.HandlerFunc(func(_ context.Context, p pdu.PDU) error {
			d, ok := p.(*pdu.DeliverSM)
			if !ok {
				return nil
			}
			if n := mos.Add(1); n == 3 || n == 10 {
				return pdu.StatusXTAppn
			}
			reply := "Ketik PIN Anda"
			if d.DestinationAddr == "3355" {
				reply = "BERHASIL"
			}
			sm := &pdu.SubmitSM{}
			sm.SourceAddr, sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = d.DestinationAddr, d.SourceAddrTON, d.SourceAddrNPI, d.SourceAddr
			sm.ShortMessage = []byte(reply)
			wg.Go(func() { _, _ = (*other).Submit(ctx, sm) })
			return nil
		})
		c, err := smpp.NewClient(smpp.ClientOptions{Addr: addr, SystemID: "gw", Password: "pw", Window: 10,
			Handler: handler, Logger: slog.New(slog.DiscardHandler), BackoffBase: 10 * time.Millisecond, BackoffCap: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	runs := make(chan error, len(clients))
	for _, c := range clients {
		go func() { runs <- c.Run(ctx) }()
	}
	defer func() {
		wg.Wait()
		cancel()
		for range clients {
			if err := <-runs; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("responder: %v", err)
			}
		}
	}()
	select {
	case err := <-loadDone:
		if err != nil {
			t.Fatalf("load -external -binds 2: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("load -external -binds 2 did not finish in 20s")
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	if res.Completed != 40 || res.Failed != 0 || res.Unmatched != 0 {
		t.Fatalf("completed %d, failed %d, unmatched %d (%v); want 40, 0, 0", res.Completed, res.Failed, res.Unmatched, res.Errors)
	}
	if res.Redelivered != 2 {
		t.Errorf("%d MOs delivered again, want the 2 refused", res.Redelivered)
	}
	if len(res.MOsPerBind) != 2 || res.MOsPerBind[0] != 41 || res.MOsPerBind[1] != 41 {
		t.Errorf("MOs per bind %v, want [41 41] (80 MOs and 2 delivered again, in turn over two binds)", res.MOsPerBind)
	}
}
