package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// auditViews maps `smsgw audit` subcommands to report views.
var auditViews = map[string]string{
	"sms":       report.ViewSMS,
	"sessions":  report.ViewSessions,
	"customers": report.ViewCustomers,
	"ledger":    report.ViewLedger,
	"trail":     report.ViewAudit,
	"partners":  report.ViewPartners,
	"callbacks": report.ViewCallbacks,
}

const auditUsage = `audit sms|sessions|customers|ledger|trail|partners|callbacks [filters] [-format table|csv|json] [-limit N]
       audit tx <session-id> | audit transfer <transfer-id> [-format table|csv|json]
filters (as in the console):
  sms        -msisdn -short_code -keyword (MOs) -template (MT replies) -direction in|out -status -since -until -session -transfer
  sessions   -msisdn -state awaiting_pin|confirmed|wrong_pin_locked|expired|cancelled|failed -since -until
  customers  -msisdn (prefix) -locked
  ledger     -account (required: an account number or id such as settlement:bank) -since -until
  trail      -actor -action -target -since -until
  partners   -partner -refid -trxid -msisdn (destination) -status pending|success|failed|unknown|20|40|10|open
             -since -until
  callbacks  -partner -status queued|sent|dead -trxid
times: 2025-03-01T10:00 (in display.timezone), 2025-03-01, RFC 3339, or a duration such as 24h (that long ago)`

// cmdAudit is `smsgw audit`: the console's filtered views and transaction
// timelines, read from the store.
func cmdAudit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, auditUsage)
	}
	sub := args[0]
	fs, path := newFlags("audit " + sub)
	format := fs.String("format", "table", "table, csv or json")
	limit := fs.Int("limit", 1000, "rows at most")
	filters := map[string]*string{}
	view, isView := auditViews[sub]
	switch {
	case isView:
		for _, name := range report.Filters(view) {
			filters[name] = fs.String(name, "", "filter "+name)
		}
	case sub == "tx" || sub == "transfer":
	default:
		return fmt.Errorf("%w: unknown audit view %q\n%s", errUsage, sub, auditUsage)
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, auditUsage)
		}
		return err
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: audit: %v", errUsage, err)
	}
	var id int64
	if isView {
		if len(pos) != 0 {
			return fmt.Errorf("%w: audit %s takes no arguments, only flags", errUsage, sub)
		}
		if *limit <= 0 {
			return fmt.Errorf("%w: audit: -limit must be positive", errUsage)
		}
	} else {
		if len(pos) != 1 {
			return fmt.Errorf("%w: audit %s <id>", errUsage, sub)
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return fmt.Errorf("%w: audit %s: want a positive id, got %q", errUsage, sub, pos[0])
		}
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	loc, err := cfg.location()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	out := bufio.NewWriter(stdout)
	if !isView {
		err := report.ExportTransaction(ctx, st, id, sub == "transfer", f, out, loc)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return fmt.Errorf("audit %s %d: not found", sub, id)
		} else if err != nil {
			return fmt.Errorf("audit %s %d: %w", sub, id, err)
		}
		return out.Flush()
	}
	values := report.Values{}
	for name, v := range filters {
		if *v != "" {
			values[name] = *v
		}
	}
	_, err = report.ExportView(ctx, st, view, values, f, out, report.ExportOptions{Location: loc, Now: time.Now(), MaxRows: *limit})
	var fe *report.FilterError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: audit %s: -%s", errUsage, sub, fe.Error())
	} else if err != nil {
		return fmt.Errorf("audit %s: %w", sub, err)
	}
	return out.Flush()
}
