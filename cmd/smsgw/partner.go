package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
)

const partnerUsage = `partner <command> [args] [-config config.toml]
commands:
  list [-partner P] [-state S] [-n 20]      partner requests, newest first
  status <partner> <refid>                  one request by the partner's refid
  callbacks [-partner P] [-dead] [-n 20]    callbacks; -dead lists the dead letters
  resend <callback-id>                      queue a dead (or sent) callback again
  blocked                                   destinations blocked after consecutive failures
  unblock <msisdn>                          clear a destination's failure count
  deposit <partner> <amount> -ref <ref>     top up a partner's deposit (idempotent per ref)
  balance <partner>                         a partner's deposit balance
  reconcile <partner> [-date D] [-file F] [-format table|csv|json] [-out FILE]
                                            a day's requests against the partner's settlement file
                                            (partner reconcile -h; exit status 3 on mismatches)
  simulate <partner> [-url U] [-dest D]     play the partner against the running gateway: a PASS/FAIL
                                            line per seed format (partner simulate -h; exit status 3)
times are shown in display.timezone (reconcile: h2h.timezone)`

// cmdPartner is `smsgw partner`: partner transactions and callbacks. It
// works on the database directly and needs no partner secret.
func cmdPartner(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, partnerUsage)
	}
	sub := args[0]
	switch sub {
	case "reconcile":
		return cmdReconcile(ctx, args[1:], stdout)
	case "simulate":
		return cmdSimulate(ctx, args[1:], stdout)
	}
	fs, path := newFlags("partner " + sub)
	only := fs.String("partner", "", "only this partner")
	state := fs.String("state", "", "only this state (pending, success, failed, unknown)")
	n := fs.Int("n", 20, "rows to show")
	dead := fs.Bool("dead", false, "dead letters only")
	ref := fs.String("ref", "", "deposit reference (the bank transfer's)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, partnerUsage)
		}
		return err
	}
	want := map[string]int{"list": 0, "status": 2, "callbacks": 0, "resend": 1, "blocked": 0, "unblock": 1, "deposit": 2, "balance": 1}
	nargs, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown partner command %q\n%s", errUsage, sub, partnerUsage)
	}
	if len(pos) != nargs {
		return fmt.Errorf("%w: partner %s takes %d argument(s)\n%s", errUsage, sub, nargs, partnerUsage)
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	loc, err := cfg.location()
	if err != nil {
		return err
	}
	svc, err := partner.New(gw, cfg.H2H.partnerOptions(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	if err := svc.Init(ctx); err != nil {
		return err
	}
	switch sub {
	case "list":
		f := partner.RequestFilter{Partner: *only, Limit: *n}
		if *state != "" {
			f.States = []partner.State{partner.State(*state)}
		}
		rs, err := svc.Requests(ctx, f)
		if err != nil {
			return err
		}
		return printRequests(stdout, rs, loc)
	case "status":
		rs, err := svc.Requests(ctx, partner.RequestFilter{Partner: pos[0], RefID: pos[1], Limit: 1})
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return fmt.Errorf("partner %s has no request with refid %s", pos[0], pos[1])
		}
		return printRequest(ctx, stdout, svc, &rs[0], loc)
	case "callbacks":
		f := partner.CallbackFilter{Partner: *only, Limit: *n}
		if *dead {
			f.Status = partner.CallbackDead
		}
		cs, err := svc.Callbacks(ctx, f)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTRXID\tPARTNER\tSTATUS\tATTEMPTS\tNEXT\tDEADLINE\tLAST ERROR")
		for _, c := range cs {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.RequestID, c.Partner, c.Status, c.Attempts,
				fmtTime(c.NextAttempt, loc), fmtTime(c.Deadline, loc), c.LastError)
		}
		return tw.Flush()
	case "resend":
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: callback id must be a number", errUsage)
		}
		if err := svc.ResendCallback(ctx, cliActor(), id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "callback %d queued; the running daemon sends it\n", id)
	case "blocked":
		ds, err := svc.Blocked(ctx, *n)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DESTINATION\tFAILURES\tLAST FAILURE")
		for _, d := range ds {
			last := ""
			if d.LastFailure != nil {
				last = fmtTime(*d.LastFailure, loc)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", d.Dest.Local(), d.Failures, last)
		}
		return tw.Flush()
	case "unblock":
		if err := svc.Unblock(ctx, cliActor(), pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s unblocked\n", pos[0])
	case "deposit":
		amount, err := keywords.ParseAmount(pos[1])
		if err != nil || amount <= 0 {
			return fmt.Errorf("%w: amount %q: whole rupiah, e.g. 1000000 or 1.000.000", errUsage, pos[1])
		}
		if *ref == "" {
			return fmt.Errorf("%w: partner deposit needs -ref (the bank transfer's reference), which makes it idempotent", errUsage)
		}
		t, err := svc.Deposit(ctx, cliActor(), pos[0], amount, *ref)
		if err != nil {
			return err
		}
		acct, err := svc.DepositAccount(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deposit %s: +Rp%s (transfer %d, ref %s); balance Rp%s\n", acct.ID, t.Amount.Grouped(), t.ID, t.Reference, acct.Balance.Grouped())
	case "balance":
		acct, err := svc.DepositAccount(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account  %s\nbalance  Rp%s\n", acct.ID, acct.Balance.Grouped())
	}
	return nil
}

// fmtTime formats t in loc as RFC 3339, as `smsgw audit` shows times.
func fmtTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// printRequests lists rs with their times in loc.
func printRequests(w io.Writer, rs []partner.Request, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRXID\tPARTNER\tREFID\tKIND\tPRODUCT\tDEST\tAMOUNT\tSTATE\tREASON\tSN\tDUP\tCREATED")
	for _, r := range rs {
		dup := ""
		if r.Duplicate {
			dup = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Partner, r.RefID, r.Kind, r.Product,
			r.Dest.Local(), int64(r.Amount), r.State, r.Code, r.SN, dup, fmtTime(r.CreatedAt, loc))
	}
	return tw.Flush()
}

// printRequest shows r and its callback with times in loc.
func printRequest(ctx context.Context, w io.Writer, svc *partner.Service, r *partner.Request, loc *time.Location) error {
	resolved := ""
	if r.ResolvedAt != nil {
		resolved = fmtTime(*r.ResolvedAt, loc)
	}
	fmt.Fprintf(w, "trxid     %d\npartner   %s\nrefid     %s\nkind      %s (%s)\nproduct   %s\ndest      %s\namount    Rp%s\n"+
		"price     Rp%s\nstate     %s %s\nsn        %s\nduplicate %v\nbalance   Rp%s → Rp%s\ncreated   %s\nresolved  %s\n",
		r.ID, r.Partner, r.RefID, r.Kind, r.Mode, r.Product, r.Dest.Local(), r.Amount.Grouped(), r.Price.Grouped(),
		r.State, r.Code, r.SN, r.Duplicate, r.BalanceBefore.Grouped(), r.BalanceAfter.Grouped(),
		fmtTime(r.CreatedAt, loc), resolved)
	cs, err := svc.Callbacks(ctx, partner.CallbackFilter{RequestID: r.ID, Limit: 1})
	if err != nil {
		return err
	}
	for _, c := range cs {
		fmt.Fprintf(w, "callback  %d %s after %d attempt(s) %s\n", c.ID, c.Status, c.Attempts, c.LastError)
	}
	return nil
}
