package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var correctionID = regexp.MustCompile(`correction (\d+) requested`)

// TestE2ECorrectionSurvivesKill asks for a reversal from the CLI while the
// daemon runs, kills the daemon (SIGKILL) before anyone decides it,
// restarts it, and approves the request as another operator: the reversal
// is written once, the customer is told by SMS, and the maker could not
// approve their own request.
func TestE2ECorrectionSurvivesKill(t *testing.T) {
	e := newE2E(t, "")
	e.start()
	e.mo(e2ePayer, "9779", "IM2PAY "+e2eAccount+" 50000")
	e.reply("3355", "Balas SMS ini dengan PIN")
	e.mo(e2ePayer, "3355", e2ePIN)
	e.reply("3355", "BERHASIL")
	out := e.cli("", "audit", "ledger", "-account", e2eAccount, "-format", "csv")
	transfer := ""
	for _, line := range strings.Split(out, "\n")[1:] {
		if f := strings.Split(line, ","); len(f) > 2 {
			transfer = f[3] // transfer_id
			break
		}
	}
	if transfer == "" {
		t.Fatalf("no transfer in the wallet's ledger:\n%s", out)
	}
	req := e.cli("requested", "ledger", "reverse", transfer, "-by", "ana", "-reason", "customer paid twice", "-amount", "20000")
	m := correctionID.FindStringSubmatch(req)
	if m == nil {
		t.Fatalf("no correction id in %q", req)
	}
	e.kill()
	e.start()
	e.cliFails("another operator", "ledger", "approve", m[1], "-by", "ana")
	e.cli("approved by budi", "ledger", "approve", m[1], "-by", "budi")
	e.cliFails("approved already", "ledger", "approve", m[1], "-by", "citra")
	e.reply("9779", "dikoreksi sebesar -Rp20.000")
	if got := e.balance(e2eAccount); got != "30.000" {
		t.Errorf("balance = %s after reversing 20.000 of 50.000, want 30.000", got)
	}
	trail := e.cli("", "audit", "trail", "-action", "ledger.correction_approve", "-format", "csv")
	if !strings.Contains(trail, "budi") {
		t.Errorf("no approval by budi in the audit trail:\n%s", trail)
	}
	list := e.cli("approved", "ledger", "corrections")
	if !strings.Contains(list, "ana") || !strings.Contains(list, "budi") {
		t.Errorf("corrections list:\n%s", list)
	}
}

// cliFails runs a command of the daemon's binary that must fail, with want
// in its error output.
func (e *e2e) cliFails(want string, args ...string) {
	e.t.Helper()
	cmd := exec.Command(e.bin, append(args, "-config", e.config)...)
	cmd.Env = e.env()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		e.t.Fatalf("smsgw %s = %v %q, want a failure saying %q", strings.Join(args, " "), err, out, want)
	}
}
