package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/smsgw/smsgw/store/storecopy"
)

// storeUsage is the synopsis of `smsgw store`.
const storeUsage = `store copy -from <sqlite file> -to <postgres DSN>
  store verify -from <sqlite file> -to <postgres DSN>

store copy moves an installation from the embedded SQLite store to
PostgreSQL: it migrates the PostgreSQL database to this version's schema,
refuses it unless its tables are empty, copies every table of the SQLite
file (customers, wallets and the ledger, sessions, the SMS log, the audit
trail, partner requests, ...) in one transaction, verifies the copy (row
counts, a SHA-256 of every table, ledger totals, every wallet's balance and
entries) and only then commits. On any error or difference no row is
written (the target keeps only the empty schema) and the exit status is 1.
Progress goes to stderr, the table-by-table summary to stdout.

The SQLite file is opened read-only and read in one transaction: the copy
is a consistent snapshot even while a daemon runs on it, but what arrives
after that snapshot is not copied. Stop the daemon(s) first to move without
losing later messages (docs/deploy.md, "Moving from SQLite to PostgreSQL").

store verify compares the two again (read-only), e.g. just before starting
the daemons on PostgreSQL.

  -from FILE   the SQLite database (database.path of the daemon's config)
  -to DSN      the PostgreSQL database, as a URL (postgres://user@host:5432/smsgw)
               or key=value string. Leave the password out: it is taken from
               PGPASSWORD or ~/.pgpass (PGPASSFILE) when the DSN has none.
               The password is never printed.`

// cmdStore is `smsgw store copy|verify`.
func cmdStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, storeUsage)
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, storeUsage)
		return flag.ErrHelp
	case "copy", "verify":
	default:
		return fmt.Errorf("%w: unknown store command %q\n%s", errUsage, sub, storeUsage)
	}
	fs := flag.NewFlagSet("store "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "the SQLite database file")
	to := fs.String("to", "", "the PostgreSQL DSN")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, storeUsage)
		}
		return err
	}
	switch {
	case len(pos) > 0:
		return fmt.Errorf("%w: store %s takes no arguments (got %q)\n%s", errUsage, sub, pos, storeUsage)
	case *from == "" || *to == "":
		return fmt.Errorf("%w: store %s needs -from and -to\n%s", errUsage, sub, storeUsage)
	}
	var res *storecopy.Result
	if sub == "copy" {
		fmt.Fprintf(stderr, "copying %s\n", *from)
		res, err = storecopy.Copy(ctx, *from, *to, storecopy.Options{Progress: prefixWriter{stderr}})
	} else {
		res, err = storecopy.Verify(ctx, *from, *to)
	}
	if err != nil {
		if errors.Is(err, storecopy.ErrTargetNotEmpty) || errors.Is(err, storecopy.ErrSourceSchema) {
			return fmt.Errorf("store %s refused: %w", sub, err)
		}
		var mm *storecopy.MismatchError
		if sub == "copy" && errors.As(err, &mm) {
			return fmt.Errorf("store copy: %w; nothing was committed", err)
		}
		return fmt.Errorf("store %s: %w", sub, err)
	}
	printStoreResult(stdout, sub, res)
	return nil
}

// printStoreResult prints the table-by-table summary and the final line.
func printStoreResult(w io.Writer, sub string, res *storecopy.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256 (source = target)\t")
	copied := 0
	for _, t := range res.Tables {
		if t.TargetOnly {
			fmt.Fprintf(tw, "%s\t-\tonly in PostgreSQL, left empty\t\n", t.Name)
			continue
		}
		copied++
		fmt.Fprintf(tw, "%s\t%d\t%x\t\n", t.Name, t.Rows, t.Checksum[:8])
	}
	tw.Flush()
	if l := res.Ledger; l != nil {
		fmt.Fprintf(w, "ledger: %d entries in %d transfers sum to %d; %d accounts, balances equal and equal to their entries (total %d)\n",
			l.Entries, l.Transfers, l.Sum, l.Accounts, l.Balances)
	}
	verb := "copied"
	if sub == "verify" {
		verb = "compared"
	}
	fmt.Fprintf(w, "verified: %d rows in %d tables %s from %s to %s in %s\n",
		res.Rows(), copied, verb, res.Source, res.Target, res.Elapsed.Round(time.Millisecond))
}

// prefixWriter indents the copy's progress lines under "copying".
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	s := strings.TrimSuffix(string(b), "\n")
	if _, err := io.WriteString(p.w, "  "+strings.ReplaceAll(s, "\n", "\n  ")+"\n"); err != nil {
		return 0, err
	}
	return len(b), nil
}
