package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
)

// The repository's config.toml runs two operators: each demo number's MOs
// reach the gateway through its own operator's simulated SMSC and the
// replies come back through the same one; /metrics and the console show
// both operators.
func TestDaemonTwoOperators(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	path, addr := repoConfig(t, dir, "")
	base := "http://" + addr
	startDaemon(t, daemonBinary(t), path, base)
	for _, tc := range []struct{ msisdn, operator string }{
		{"08150000003", "indosat"}, {"08110000001", "telkomsel"},
	} {
		mo, reply := simExchange(t, base, tc.msisdn, "SALDO")
		if mo.Operator != tc.operator || reply.Operator != tc.operator {
			t.Errorf("%s: MO over %q, reply over %q; want both over %s", tc.msisdn, mo.Operator, reply.Operator, tc.operator)
		}
		if !strings.HasPrefix(reply.Text, "Saldo i-Pay") {
			t.Errorf("%s: reply %q, want the balance", tc.msisdn, reply.Text)
		}
	}
	want := []string{
		`smsgw_route_bind_up{bind="indosat",operator="indosat"} 1`,
		`smsgw_route_bind_up{bind="simulator",operator="telkomsel"} 1`,
		`smsgw_route_messages_total{bind="indosat",direction="mo",operator="indosat"} 1`,
		`smsgw_route_messages_total{bind="indosat",direction="mt",operator="indosat"} 1`,
		`smsgw_route_held{operator="indosat"} 0`,
		`smsgw_outbox_backlog{operator="telkomsel"} 0`,
		`smsgw_route_bind_window_in_use{bind="simulator",operator="telkomsel"}`,
		`smsgw_route_bind_throttled{bind="simulator",operator="telkomsel"} 0`,
	}
	// The phone sees a reply as the SMSC takes it; the daemon counts it
	// and records it sent a moment later.
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range missing {
		t.Errorf("/metrics lacks %s", w)
	}
}

// simExchange sends text from msisdn to the request code through the
// simulator API and returns the MO and the first MT that follows it.
func simExchange(t *testing.T, base, msisdn, text string) (mo, mt sim.Message) {
	t.Helper()
	body, _ := json.Marshal(sim.SendRequest{MSISDN: msisdn, To: "9779", Text: text})
	res, err := http.Post(base+"/sim/send", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var sent sim.SendResponse
	err = json.NewDecoder(res.Body).Decode(&sent)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("send from %s: %d %v %+v", msisdn, res.StatusCode, err, sent)
	}
	cursor := sent.Since
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(fmt.Sprintf("%s/sim/messages?msisdn=%s&after=%d&wait=5s", base, url.QueryEscape(msisdn), cursor))
		if err != nil {
			t.Fatal(err)
		}
		var page sim.MessagesResponse
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Dir == sim.DirMT {
				return sent.Message, m
			}
		}
		cursor = max(cursor, page.Cursor)
	}
	t.Fatalf("no reply to %s", msisdn)
	return
}

// TestRoutingConfig: binds grouped by operator, [routing] and
// [[simulator.operator]] are checked with errors naming the key; binds
// without an operator form the one default group, as before.
func TestRoutingConfig(t *testing.T) {
	bind := func(name, operator string, port int) string {
		return fmt.Sprintf("[[bind]]\nname = %q\noperator = %q\nhost = \"127.0.0.1\"\nport = %d\nsystem_id = \"smsgw\"\n", name, operator, port)
	}
	two := bind("a", "tsel", 2775) + bind("b", "isat", 2776)
	routing := func(body string) string { return two + "[routing]\ndefault = \"tsel\"\n" + body }
	for _, tc := range []struct{ body, want string }{
		{bind("a", "", 2775), ""}, // the default group, as before
		{bind("a", "", 2775) + bind("b", "", 2776), ""},
		{bind("a", "tsel", 2775) + bind("b", "tsel", 2776), ""}, // one operator is its own default
		{routing("[[routing.operator]]\nname = \"tsel\"\nprefixes = [\"0811\", \"62812\", \"+62813\"]\nthroughput = 100\n" +
			"[[routing.operator]]\nname = \"isat\"\nprefixes = [\"0815\"]\nfallback = \"tsel\"\n"), ""},
		{two, "routing.default: required: the binds name several operators"},
		{two + "[routing]\ndefault = \"xl\"\n", `routing.default: no [[bind]] has operator "xl"`},
		{bind("a", "Tsel!", 2775), "bind[0].operator: want lower-case letters"},
		{routing("[routing.x]\n"), "unknown key routing.x"},
		{routing("balance = \"fastest\"\n"), "routing.balance: must be round_robin or least_window"},
		{routing("[[routing.operator]]\nname = \"xl\"\n"), `routing.operator[0].name: no [[bind]] has operator "xl"`},
		{routing("[[routing.operator]]\nname = \"tsel\"\n[[routing.operator]]\nname = \"tsel\"\n"), "routing.operator[1].name: duplicate"},
		{routing("[[routing.operator]]\nname = \"tsel\"\nthroughput = -1\n"), "routing.operator[0].throughput: must be >= 0"},
		{routing("[[routing.operator]]\nname = \"tsel\"\nfallback = \"tsel\"\n"), "routing.operator[0].fallback: must name another operator"},
		{routing("[[routing.operator]]\nname = \"tsel\"\nprefixes = [\"08a\"]\n"), "routing.operator[0].prefixes[0]"},
		{routing("[[routing.operator]]\nname = \"tsel\"\nprefixes = [\"0811\"]\n[[routing.operator]]\nname = \"isat\"\nprefixes = [\"62811\"]\n"),
			"routing.operator: smsgw: route \"isat\": prefix 62811 is route \"tsel\"'s already"},
		{routing("[simulator]\nenabled = true\n[[simulator.operator]]\nname = \"tsel\"\nlisten = \"127.0.0.1:2775\"\n" +
			"[[simulator.operator]]\nname = \"isat\"\nlisten = \"127.0.0.1:2776\"\nprefixes = [\"0815\"]\n"), ""},
		{routing("[simulator]\nenabled = true\n[[simulator.operator]]\nname = \"tsel\"\nlisten = \"nowhere\"\n"), "simulator.operator[0].listen"},
		{routing("[simulator]\nenabled = true\n[[simulator.operator]]\nname = \"\"\nlisten = \"127.0.0.1:1\"\n"), "simulator.operator[0].name: required"},
		{routing("[simulator]\nenabled = true\n[[simulator.operator]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\n" +
			"[[simulator.operator]]\nname = \"b\"\nlisten = \"127.0.0.1:1\"\n"), "simulator.operator[1].listen: 127.0.0.1:1 is another simulated operator's"},
		{routing("[simulator]\nenabled = true\n[[simulator.operator]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nprefixes = [\"x\"]\n"), "simulator.operator[0].prefixes[0]"},
	} {
		cfg, err := LoadConfig(writeConfig(t, tc.body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("config %q: %v", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("config %q = %v, want an error containing %q", tc.body, err, tc.want)
		case err == nil:
			if _, err := cfg.routes(); err != nil {
				t.Errorf("config %q: routes: %v", tc.body, err)
			}
		}
	}
	// Without operators every bind is in the default group, the default
	// route; the repository's config has two operators.
	cfg, err := LoadConfig(writeConfig(t, bind("a", "", 2775)))
	if err != nil || cfg.defaultOperator() != "default" {
		t.Errorf("binds without an operator: default %q, %v; want the default group", cfg.defaultOperator(), err)
	}
	repo, err := LoadConfig("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if ops := repo.operators(); len(ops) != 2 || len(repo.Simulator.Operators) != 2 || repo.defaultOperator() != "telkomsel" {
		t.Errorf("config.toml operators %v, simulated %d, default %q; want two", ops, len(repo.Simulator.Operators), repo.defaultOperator())
	}
}
