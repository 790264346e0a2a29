package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// crashEnv names the database a re-executed test binary writes to until it
// is killed.
const crashEnv = "SMSGW_SQLITE_CRASH_DB"

// TestCrashRecovery runs the MO processing transaction in a child process
// (this test binary, re-executed), kills it with SIGKILL while it writes,
// reopens the database and checks the invariants: the ledger sums to zero,
// every transfer has its two entries, every balance equals the sum of its
// entries, and every transaction the child reported as committed survived.
func TestCrashRecovery(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := tempDB(t)
	s, err := Open(t.Context(), path, Options{Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for round := range 3 {
		last := runChild(t, path, 40+round*30)
		t.Logf("round %d: child killed after reporting commit %d", round, last)
		checkInvariants(t, path, last)
	}
}

// runChild starts the writer and kills it after it reported n commits; it
// returns the highest commit number the child reported.
func runChild(t *testing.T, path string, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last, seen := -1, 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		num, ok := strings.CutPrefix(sc.Text(), "committed ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("child wrote %q", sc.Text())
		}
		last = max(last, i)
		if seen++; seen == n {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if seen < n {
		t.Fatalf("child stopped after %d commits: %v\n%s", seen, err, stderr.Bytes())
	}
	if err == nil || cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("child ended with %v, want killed by a signal\n%s", err, stderr.Bytes())
	}
	return last
}

// crashChild is the child process: it processes synthetic MOs as fast as it
// can, printing the number of each committed transaction, until killed.
func crashChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Logger: discard})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := 0
	if err := s.View(ctx, func(tx smsgw.Tx) error {
		ts, err := tx.Transfers("settlement:bank", 1)
		if len(ts) == 1 {
			start, err = strconv.Atoi(strings.TrimPrefix(ts[0].IdempotencyKey, "crash:"))
			start++
		}
		return err
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute) // an orphaned child stops by itself
	for i := start; time.Now().Before(deadline); i++ {
		err := s.Update(ctx, func(tx smsgw.Tx) error { return crashStep(tx, i) })
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", i)
	}
	os.Exit(3)
}

// crashStep is one MO's transaction: store the MO, credit a wallet, move
// money between wallets when it can (EFunds otherwise, which must leave
// nothing behind), queue the reply and finish the MO.
func crashStep(tx smsgw.Tx, i int) error {
	wallet := func(n int) domain.AccountID { return domain.AccountID(fmt.Sprintf("wallet:%d", n%3+1)) }
	mo := &smsgw.Message{MSISDN: "628110000001", ShortCode: "9779", Text: "IM2PAY", DedupKey: fmt.Sprint("crash:", i)}
	if err := tx.InsertMO(mo, []byte("secret")); err != nil {
		return err
	}
	tr := &smsgw.Transfer{IdempotencyKey: fmt.Sprint("crash:", i), Kind: smsgw.TransferSMSTopUp,
		From: "settlement:bank", To: wallet(i), Amount: domain.Amount(i%7 + 1), MessageID: mo.ID}
	if err := tx.Transfer(tr); err != nil {
		return err
	}
	move := &smsgw.Transfer{IdempotencyKey: fmt.Sprint("move:", i), Kind: partner.TransferH2H,
		From: wallet(i + 1), To: wallet(i + 2), Amount: domain.Amount(i%11 + 1)}
	if err := tx.Transfer(move); err != nil && smsgw.ErrorCode(err) != smsgw.EFunds {
		return err
	}
	mt := &smsgw.Message{MSISDN: "628110000001", ShortCode: "9779", Text: "OK", TransferID: tr.ID}
	if err := tx.EnqueueMT(mt); err != nil {
		return err
	}
	return tx.FinishMO(mo.ID, "IM2PAY", 0, tr.ID)
}

// checkInvariants reopens the database after a crash and checks it.
func checkInvariants(t *testing.T, path string, last int) {
	t.Helper()
	s, err := Open(t.Context(), path, Options{Logger: discard})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	ctx := t.Context()
	one := func(what, q string, want any) {
		t.Helper()
		var got string
		if err := s.r.QueryRowContext(ctx, q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if w := fmt.Sprint(want); got != w {
			t.Errorf("%s = %s, want %s", what, got, w)
		}
	}
	one("integrity_check", "PRAGMA integrity_check", "ok")
	one("foreign key violations", "SELECT count(*) FROM pragma_foreign_key_check", 0)
	if broken, err := s.CheckLedger(ctx); err != nil {
		t.Fatal(err)
	} else if len(broken) > 0 {
		t.Errorf("ledger after crash: %s", strings.Join(broken, "; "))
	}
	one("unprocessed MOs (each is stored and processed in one transaction)",
		"SELECT count(*) FROM inbox WHERE processed_at IS NULL OR secret IS NOT NULL", 0)
	one("MOs without their reply", `SELECT count(*) FROM transfers t WHERE t.idempotency_key LIKE 'crash:%'
		AND NOT EXISTS (SELECT 1 FROM sms_log l WHERE l.transfer_id = t.id AND l.direction = 'out')`, 0)

	var committed int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM transfers WHERE idempotency_key LIKE 'crash:%'").Scan(&committed); err != nil {
		t.Fatal(err)
	}
	// The child may have committed one transaction it could not report.
	if committed < last+1 || committed > last+2 {
		t.Errorf("%d crash transfers survived, want %d or %d (every reported commit, maybe one more)", committed, last+1, last+2)
	}
	check := func(tx smsgw.Tx) error {
		for i := 0; i <= last; i++ {
			if _, err := tx.TransferByKey(fmt.Sprint("crash:", i)); err != nil {
				return fmt.Errorf("reported commit %d lost: %w", i, err)
			}
		}
		return nil
	}
	if err := s.View(ctx, check); err != nil {
		t.Error(err)
	}
	// And the store is writable again.
	if err := s.Update(ctx, func(tx smsgw.Tx) error {
		_, err := tx.UnlockDue(time.Now())
		return err
	}); err != nil {
		t.Errorf("Update after crash = %v", err)
	}
}
