package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// phoneDaemon runs the daemon binary on its embedded simulator, with the
// web phone on a loopback HTTP port, and returns the HTTP base URL.
func phoneDaemon(t *testing.T) (base string, proc *exec.Cmd, stderr *syncBuffer, exited <-chan struct{}) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := daemonBinary(t)
	dir := t.TempDir()
	simPort, httpPort := freePort(t), freePort(t)
	cfg := fmt.Sprintf(`
[database]
path = "gw.db"
[http]
listen = "127.0.0.1:%d"
[simulator]
enabled = true
listen = "127.0.0.1:%d"
system_id = "smsgw"
password = "sim"
[[bind]]
name = "simulator"
host = "127.0.0.1"
port = %d
system_id = "smsgw"
password = "sim"
[outbox]
poll = "100ms"
[[demo.customers]]
msisdn = "08110000001"
account = "08110000001"
name = "Demo Satu"
pin = "123456"
[[demo.customers]]
msisdn = "08110000002"
account = "08110000002"
name = "Demo Dua"
pin = "654321"
`, httpPort, simPort, simPort)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	base = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	proc, stderr, done := startDaemon(t, bin, path, base)
	return base, proc, stderr, done
}

// startDaemon runs the daemon binary bin on the config at path and waits
// until base/readyz answers 200; the daemon is killed when the test ends.
func startDaemon(t *testing.T, bin, path, base string) (proc *exec.Cmd, stderr *syncBuffer, exited <-chan struct{}) {
	t.Helper()
	proc = exec.Command(bin, "run", "-config", path)
	proc.Env = append(os.Environ(), "SMSGW_PIN_KEY="+e2eKey)
	stderr = &syncBuffer{}
	proc.Stderr = stderr
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = proc.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = proc.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return proc, stderr, done
}

// phoneEvents reads the Messages of an event stream.
func phoneEvents(t *testing.T, url string) <-chan sim.Message {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, res.StatusCode)
	}
	ch := make(chan sim.Message, 100)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: ") && event == "message":
				var m sim.Message
				if json.Unmarshal([]byte(line[6:]), &m) == nil {
					ch <- m
				}
			}
		}
	}()
	return ch
}

// waitReply reads the stream until an MT from code containing want.
func waitReply(t *testing.T, events <-chan sim.Message, code, want string) sim.Message {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case m, ok := <-events:
			if !ok {
				t.Fatalf("stream ended before a reply containing %q", want)
			}
			if m.Dir == sim.DirMT && m.Code == code && strings.Contains(m.Text, want) {
				return m
			}
		case <-timeout:
			t.Fatalf("no reply from %s containing %q within 15s", code, want)
		}
	}
}

func phoneSend(t *testing.T, base, msisdn, to, text string) sim.SendResponse {
	t.Helper()
	body, _ := json.Marshal(sim.SendRequest{MSISDN: msisdn, To: to, Text: text})
	res, err := http.Post(base+"/sim/send", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp sim.SendResponse
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("send %q to %s = %d %+v", text, to, res.StatusCode, resp)
	}
	return resp
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// TestE2EWebPhone plays the happy path from the web phone against the
// daemon: top-up request, PIN prompt from 3355, PIN, success, balance.
func TestE2EWebPhone(t *testing.T) {
	base, proc, stderr, exited := phoneDaemon(t)
	const payer, pin = "08110000002", "654321"

	// A page on another origin cannot inject MOs through the browser.
	req, err := http.NewRequest(http.MethodPost, base+"/sim/send", strings.NewReader(`{"msisdn":"`+payer+`","to":"9779","text":"SALDO"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /sim/send = %d, want 403", resp.StatusCode)
	}

	page := getBody(t, base+"/phone")
	for _, want := range []string{`id="msisdn"`, `id="to"`, `id="text"`, `id="send"`, `id="thread"`,
		"08110000001", "123456", payer, pin, `value="9779"`, `value="3355"`} {
		if !strings.Contains(page, want) {
			t.Errorf("/phone lacks %q", want)
		}
	}

	events := phoneEvents(t, base+"/sim/events?msisdn="+payer)
	phoneSend(t, base, payer, "9779", "IM2PAY 08110000002 50000")
	waitReply(t, events, "3355", "Balas SMS ini dengan PIN")
	sent := phoneSend(t, base, payer, "3355", pin)
	if sent.Message.Text != "****" || sent.Message.Status != sim.StatusDelivered {
		t.Errorf("PIN MO = %+v, want it delivered and masked", sent.Message)
	}
	waitReply(t, events, "3355", "BERHASIL")
	phoneSend(t, base, payer, "9779", "SALDO")
	waitReply(t, events, "9779", "Rp50.000")

	// The thread as the page and the API show it: PIN masked.
	msgs := getBody(t, base+"/sim/messages?msisdn=628110000002")
	if strings.Contains(msgs, pin) {
		t.Errorf("/sim/messages shows the PIN: %s", msgs)
	}
	page = getBody(t, base+"/phone?msisdn="+payer)
	thread := page[strings.Index(page, `id="thread"`):]
	thread = thread[:strings.Index(thread, "</ol>")]
	for _, want := range []string{`class="msg mo" data-id="1"`, `data-code="9779"`, "BERHASIL", `<p class="text">****</p>`} {
		if !strings.Contains(thread, want) {
			t.Errorf("rendered thread lacks %q:\n%s", want, thread)
		}
	}
	if strings.Contains(thread, pin) {
		t.Errorf("rendered thread shows the PIN:\n%s", thread)
	}
	if n := strings.Count(page, pin); n != 1 {
		t.Errorf("the PIN appears %d times on the page, want once (the demo list)", n)
	}

	// `smsgw sim send` still prints only the replies.
	out, err := exec.Command(daemonBinary(t), "sim", "send", "--addr", base, "--from", "08110000001", "--to", "9779", "--wait", "5s", "SALDO").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "9779 → 08110000001: Saldo") || strings.Contains(string(out), "SALDO") {
		t.Errorf("sim send: %v\n%s", err, out)
	}

	// An open event stream does not hold up shutdown.
	_ = phoneEvents(t, base+"/sim/events?msisdn="+payer)
	start := time.Now()
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("daemon did not stop within 10s\n%s", stderr.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown with an open stream took %v", d)
	}
	if !proc.ProcessState.Success() {
		t.Errorf("daemon exit: %v\n%s", proc.ProcessState, stderr.String())
	}
	if strings.Contains(stderr.String(), pin) {
		t.Error("daemon log contains the PIN")
	}
}
