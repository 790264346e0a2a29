package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// peerTimeout is the hard timeout each peer script enforces on itself.
	peerTimeout = 40 * time.Second
	// waitTimeout bounds every single wait for a peer event.
	waitTimeout = 10 * time.Second
	// npmSMPPVersion is the npm smpp release the peers are written for.
	npmSMPPVersion = "0.5.1"
	installHint    = "install the peers with: bash scripts/install-peers"
)

// peer is one independent SMPP implementation and how to run its scripts.
type peer struct {
	name string // "node" or "perl"
	// check reports why the peer cannot run, nil when it can.
	check func() error
	// command returns the program and arguments that run script
	// ("smsc" or "esme") with the JSON config.
	command func(script, config string) (string, []string)
}

var peers = []peer{
	{
		name:  "node",
		check: checkNode,
		command: func(script, config string) (string, []string) {
			return "node", []string{filepath.Join("testdata", "peers", "node", script+".js"), config}
		},
	},
	{
		name:  "perl",
		check: checkPerl,
		command: func(script, config string) (string, []string) {
			return "perl", []string{filepath.Join("testdata", "peers", "perl", script+".pl"), config}
		},
	},
}

// nodePath returns where npm smpp is installed: $SMSGW_NODE_PATH, else
// <repo root>/.cache/peers/node_modules.
func nodePath() string {
	if p := os.Getenv("SMSGW_NODE_PATH"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "peers", "node_modules")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func checkNode() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node not found: %w", err)
	}
	manifest := filepath.Join(nodePath(), "smpp", "package.json")
	b, err := os.ReadFile(manifest)
	if err != nil {
		return fmt.Errorf("npm smpp not installed (SMSGW_NODE_PATH=%q): %w", nodePath(), err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(b, &pkg); err != nil {
		return fmt.Errorf("read %s: %w", manifest, err)
	}
	if pkg.Version != npmSMPPVersion {
		return fmt.Errorf("npm smpp %s installed, the peers need %s", pkg.Version, npmSMPPVersion)
	}
	return nil
}

func checkPerl() error {
	if _, err := exec.LookPath("perl"); err != nil {
		return fmt.Errorf("perl not found: %w", err)
	}
	out, err := exec.Command("perl", "-MNet::SMPP", "-MJSON::PP", "-e1").CombinedOutput()
	if err != nil {
		return fmt.Errorf("perl modules Net::SMPP / JSON::PP missing: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// requirePeer skips the test when p cannot run, or fails it when
// SMSGW_INTEROP=1 demands the interop suite.
func requirePeer(t *testing.T, p peer) {
	t.Helper()
	err := p.check()
	if err == nil {
		return
	}
	if os.Getenv("SMSGW_INTEROP") == "1" {
		t.Fatalf("%s peer unavailable with SMSGW_INTEROP=1: %v; %s", p.name, err, installHint)
	}
	t.Skipf("%s peer unavailable: %v (%s, or set SMSGW_INTEROP=1 to make this a failure)", p.name, err, installHint)
}

// num is an integer a peer printed either as a JSON number or as a string
// (Perl's JSON::PP prints a number that was once used as a string quoted).
type num int64

func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*n = num(v)
	return nil
}

// tlvRecord is a TLV as a peer received it.
type tlvRecord struct {
	Tag num    `json:"tag"`
	Hex string `json:"hex"`
}

// event is one JSON line a peer printed. Which fields are set depends on
// Event; see the header comments of the scripts.
type event struct {
	Event         string  `json:"event"`
	Conn          num     `json:"conn"`
	Seq           num     `json:"seq"`
	Status        num     `json:"status"`
	Ref           string  `json:"ref"`
	Part          num     `json:"part"`
	Parts         num     `json:"parts"`
	Port          num     `json:"port"`
	Version       string  `json:"version"`
	Message       string  `json:"message"`
	Command       string  `json:"command"`
	CommandLength num     `json:"command_length"`
	Statuses      []num   `json:"statuses"`
	MessageID     *string `json:"message_id"`
	SystemID      *string `json:"system_id"`

	// bind (SMSC side)
	PasswordOK       bool   `json:"password_ok"`
	SystemType       string `json:"system_type"`
	InterfaceVersion num    `json:"interface_version"`
	AddrTON          num    `json:"addr_ton"`
	AddrNPI          num    `json:"addr_npi"`
	AddressRange     string `json:"address_range"`

	// submit_sm / deliver_sm records
	ServiceType          string      `json:"service_type"`
	SourceAddrTON        num         `json:"source_addr_ton"`
	SourceAddrNPI        num         `json:"source_addr_npi"`
	SourceAddr           string      `json:"source_addr"`
	DestAddrTON          num         `json:"dest_addr_ton"`
	DestAddrNPI          num         `json:"dest_addr_npi"`
	DestinationAddr      string      `json:"destination_addr"`
	ESMClass             num         `json:"esm_class"`
	ProtocolID           num         `json:"protocol_id"`
	PriorityFlag         num         `json:"priority_flag"`
	ScheduleDeliveryTime string      `json:"schedule_delivery_time"`
	ValidityPeriod       string      `json:"validity_period"`
	RegisteredDelivery   num         `json:"registered_delivery"`
	ReplaceIfPresentFlag num         `json:"replace_if_present_flag"`
	DataCoding           num         `json:"data_coding"`
	SMDefaultMsgID       num         `json:"sm_default_msg_id"`
	SMLength             num         `json:"sm_length"`
	ShortMessage         string      `json:"short_message"`
	UDH                  string      `json:"udh"`
	Text                 *string     `json:"text"`
	PayloadText          *string     `json:"payload_text"`
	TLVs                 []tlvRecord `json:"tlvs"`

	line string // the line as printed
	n    int    // the line's number on stdout, from 1
}

// userData returns short_message after the UDH.
func (e event) userData() ([]byte, error) {
	sm, err := hex.DecodeString(e.ShortMessage)
	if err != nil {
		return nil, fmt.Errorf("short_message hex: %w", err)
	}
	return sm[len(e.UDH)/2:], nil
}

// tlv returns the value of the first TLV with tag, as hex.
func (e event) tlv(tag uint16) (string, bool) {
	for _, t := range e.TLVs {
		if uint16(t.Tag) == tag {
			return t.Hex, true
		}
	}
	return "", false
}

func (e event) text() string {
	if e.Text == nil {
		return "<nil>"
	}
	return *e.Text
}

// feed collects values produced by another goroutine and lets a test wait
// for them. A value for which stop returns true ends every wait with a
// failure (a peer's error or timeout report).
type feed[T any] struct {
	mu     sync.Mutex
	items  []T
	notify chan struct{} // closed and replaced on every change
	closed bool
	stop   func(T) bool
	show   func(T) string
}

func newFeed[T any](stop func(T) bool, show func(T) string) *feed[T] {
	return &feed[T]{notify: make(chan struct{}), stop: stop, show: show}
}

func (f *feed[T]) add(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, v)
	close(f.notify)
	f.notify = make(chan struct{})
}

// close records that no more values will come.
func (f *feed[T]) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	close(f.notify)
	f.notify = make(chan struct{})
}

// all returns the values so far that match.
func (f *feed[T]) all(match func(T) bool) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, v := range f.items {
		if match(v) {
			out = append(out, v)
		}
	}
	return out
}

// waitN waits until n values match and returns the first n in arrival
// order. It fails the test after waitTimeout, when the feed closes first, or
// when a stop value arrives.
func (f *feed[T]) waitN(t *testing.T, what string, n int, match func(T) bool) []T {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		f.mu.Lock()
		var got []T
		for _, v := range f.items {
			if f.stop != nil && f.stop(v) {
				f.mu.Unlock()
				t.Fatalf("waiting for %s: got %s", what, f.show(v))
			}
			if match(v) {
				got = append(got, v)
			}
		}
		notify, closed := f.notify, f.closed
		f.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		if closed {
			t.Fatalf("waiting for %s: ended after %d of %d", what, len(got), n)
		}
		select {
		case <-notify:
		case <-deadline:
			t.Fatalf("waiting for %s: got %d of %d within %v", what, len(got), n, waitTimeout)
		}
	}
}

// wait waits for the first value that matches.
func (f *feed[T]) wait(t *testing.T, what string, match func(T) bool) T {
	t.Helper()
	return f.waitN(t, what, 1, match)[0]
}

// proc is a running peer script.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr lockedBuffer
	*feed[event]

	exited  chan struct{} // closed when the process has been waited for
	waitErr error
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPeer runs script of p with config (marshalled to JSON) and returns
// once the process has started. When the test ends the process gets EOF on
// stdin, then is killed if it has not exited, and is waited for; if the test
// failed, the peer's stdout and stderr go to the test log.
func startPeer(t *testing.T, p peer, script string, config any) *proc {
	t.Helper()
	cfg, err := json.Marshal(config)
	if err != nil {
		t.Fatalf("marshal %s config: %v", script, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout+10*time.Second)
	name, args := p.command(script, string(cfg))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "SMSGW_NODE_PATH="+nodePath())
	cmd.WaitDelay = 5 * time.Second
	pr := &proc{name: p.name + " " + script, cmd: cmd, exited: make(chan struct{})}
	pr.feed = newFeed(
		func(e event) bool { return e.Event == "error" || e.Event == "timeout" || e.Event == "unparsable" },
		func(e event) string { return pr.name + " reported " + e.line },
	)
	cmd.Stderr = &pr.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("%s: stdout pipe: %v", pr.name, err)
	}
	if pr.stdin, err = cmd.StdinPipe(); err != nil {
		cancel()
		t.Fatalf("%s: stdin pipe: %v", pr.name, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start: %v", pr.name, err)
	}
	go pr.read(stdout)
	t.Cleanup(func() {
		pr.stdin.Close()
		select {
		case <-pr.exited:
		case <-time.After(waitTimeout):
		}
		cancel()
		<-pr.exited
		if t.Failed() {
			t.Logf("%s stdout:\n%s", pr.name, pr.dump())
			t.Logf("%s stderr:\n%s", pr.name, pr.stderr.String())
		}
	})
	return pr
}

// read collects the events from stdout, then waits for the process.
func (p *proc) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			e = event{Event: "unparsable", Message: err.Error()}
		}
		e.line, e.n = line, n
		p.add(e)
	}
	p.close()
	p.waitErr = p.cmd.Wait()
	close(p.exited)
}

func (p *proc) dump() string {
	var b strings.Builder
	for _, e := range p.all(func(event) bool { return true }) {
		b.WriteString(e.line)
		b.WriteByte('\n')
	}
	return b.String()
}

// named matches events by name and, when ref is not empty, by ref.
func named(name, ref string) func(event) bool {
	return func(e event) bool { return e.Event == name && (ref == "" || e.Ref == ref) }
}

// send writes one command line to the peer's stdin.
func (p *proc) send(t *testing.T, cmd any) {
	t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatalf("%s: marshal command: %v", p.name, err)
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("%s: write command %s: %v", p.name, b, err)
	}
}

// exit closes stdin, which ends every peer script, and checks that the peer
// exits with status 0.
func (p *proc) exit(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	p.waitExit(t)
}

// waitExit checks that the peer exits with status 0 within waitTimeout.
func (p *proc) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("%s: still running %v after it was told to exit", p.name, waitTimeout)
	}
	if p.waitErr != nil {
		var ee *exec.ExitError
		if errors.As(p.waitErr, &ee) {
			t.Fatalf("%s: exit status %d", p.name, ee.ExitCode())
		}
		t.Fatalf("%s: wait: %v", p.name, p.waitErr)
	}
}
