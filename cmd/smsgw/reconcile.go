package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// errMismatch marks a reconciliation that found mismatches (exit status 3).
var errMismatch = errors.New("mismatch")

const reconcileUsage = `partner reconcile <partner> [-date YYYY-MM-DD] [-file settlement.csv] [-format table|csv|json] [-out FILE]
  our requests of one calendar day in h2h.timezone (default yesterday), compared with the partner's
  settlement file when -file is given (columns refid, amount, status and optionally time: docs/operations.md)
exit status: 0 everything matches (or our side only), 3 mismatches, 1 error (also a bad settlement file), 2 usage`

// cmdReconcile is `smsgw partner reconcile`.
func cmdReconcile(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := newFlags("partner reconcile")
	date := fs.String("date", "", "the day, YYYY-MM-DD in h2h.timezone (default yesterday)")
	file := fs.String("file", "", "the partner's settlement file (CSV)")
	format := fs.String("format", "table", "table, csv or json")
	out := fs.String("out", "", "write the report to this file instead of standard output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, reconcileUsage)
		}
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: %s", errUsage, reconcileUsage)
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: partner reconcile: -%v", errUsage, err)
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	id := pos[0]
	if !configuredPartner(&cfg.H2H, id) {
		return fmt.Errorf("%w: partner reconcile: no [[h2h.partner]] with id %q", errUsage, id)
	}
	loc := cfg.H2H.cutoff.Location
	day := partner.DayOf(time.Now().In(loc).AddDate(0, 0, -1), loc)
	if *date != "" {
		if day, err = partner.ParseDay(*date, loc); err != nil {
			return fmt.Errorf("%w: partner reconcile: -%v", errUsage, err)
		}
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := reconcileDay(ctx, st, id, day, *file)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return report.WriteReconciliation(w, f, rep) }
	if *out != "" {
		err = writeFileAtomic(*out, write)
	} else {
		bw := bufio.NewWriter(stdout)
		if err = write(bw); err == nil {
			err = bw.Flush()
		}
	}
	if err != nil {
		return fmt.Errorf("partner reconcile: %w", err)
	}
	if rep.Mismatches > 0 {
		return fmt.Errorf("%w: partner %s on %s: %d mismatch(es)", errMismatch, id, day.Date, rep.Mismatches)
	}
	return nil
}

func configuredPartner(c *H2HConfig, id string) bool {
	for _, p := range c.Partners {
		if p.ID == id {
			return true
		}
	}
	return false
}

// reconcileDay reconciles a partner's day with the settlement file at
// file, or reports our side only when file is "".
func reconcileDay(ctx context.Context, st smsgw.Store, id string, day partner.Day, file string) (*report.ReconReport, error) {
	o := report.ReconcileOptions{Partner: id, Day: day}
	if file != "" {
		rows, err := readSettlement(file, day.Start.Location())
		if err != nil {
			return nil, err
		}
		o.Settlement, o.SettlementName = rows, filepath.Base(file)
	}
	rep, err := report.Reconcile(ctx, st, o)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s %s: %w", id, day.Date, err)
	}
	return rep, nil
}

// readSettlement parses the settlement file at path; errors name it.
func readSettlement(path string, loc *time.Location) ([]partner.SettlementRow, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	rows, err := partner.ParseSettlement(fh, partner.SettlementOptions{Location: loc})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rows == nil {
		rows = []partner.SettlementRow{} // a header only: an empty settlement, not none
	}
	return rows, nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, renamed over path once complete: readers see the old file or
// the new one, never a part.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Results of a daily reconciliation, as counted in /metrics.
const (
	reconMatched  = "matched"
	reconMismatch = "mismatch"
	reconNoFile   = "no_file"
	reconError    = "error"
)

// reconcileJob reconciles the previous day (in h2h.timezone) of every
// configured partner: with <dir>/<partner>/<date>.csv when the partner's
// settlement file is there, else our side only. It writes
// <date>.report.json and <date>.report.csv beside it, each replaced
// atomically, so a run again (or by another daemon) rewrites the same
// report. One partner's failure does not stop the others.
func (a *App) reconcileJob(ctx context.Context) error {
	cfg := &a.Config.H2H
	dir := a.Config.resolve(cfg.ReconcileDir)
	loc := cfg.cutoff.Location
	day := partner.DayOf(a.Now().In(loc).AddDate(0, 0, -1), loc)
	var errs []error
	for _, p := range cfg.Partners {
		result, n, err := a.reconcilePartner(ctx, dir, p.ID, day)
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s %s: %w", p.ID, day.Date, err))
			a.Logger.Error("reconciliation failed", "partner", p.ID, "date", day.Date, "err", err)
		} else {
			a.Logger.Info("reconciliation written", "partner", p.ID, "date", day.Date, "result", result, "mismatches", n)
		}
	}
	return errors.Join(errs...)
}

func (a *App) reconcilePartner(ctx context.Context, dir, id string, day partner.Day) (result string, mismatches int, err error) {
	var rep *report.ReconReport
	if id == "." || id == ".." {
		return "", 0, fmt.Errorf("partner id %q cannot name a directory", id)
	}
	pdir := filepath.Join(dir, id)
	reports := []string{filepath.Join(pdir, day.Date+".report.json"), filepath.Join(pdir, day.Date+".report.csv")}
	defer func() {
		if err != nil {
			// No report rather than an earlier run's, which would no
			// longer say what the files hold.
			for _, p := range reports {
				_ = os.Remove(p)
			}
		}
		if a.mets == nil {
			return
		}
		if err != nil {
			a.mets.Reconciled(id, reconError, nil)
			return
		}
		a.mets.Reconciled(id, result, rep.MismatchCounts())
	}()
	if err := os.MkdirAll(pdir, 0o750); err != nil {
		return "", 0, err
	}
	file := filepath.Join(pdir, day.Date+".csv")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		file = ""
	} else if err != nil {
		return "", 0, err
	}
	rep, err = reconcileDay(ctx, a.gw.Store(), id, day, file)
	if err != nil {
		return "", 0, err
	}
	for i, f := range []report.Format{report.FormatJSON, report.FormatCSV} {
		if err := writeFileAtomic(reports[i], func(w io.Writer) error { return report.WriteReconciliation(w, f, rep) }); err != nil {
			return "", 0, err
		}
	}
	switch {
	case !rep.Settled:
		result = reconNoFile
	case rep.Mismatches > 0:
		result = reconMismatch
	default:
		result = reconMatched
	}
	return result, rep.Mismatches, nil
}
