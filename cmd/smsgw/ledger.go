package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

const ledgerUsage = `ledger reverse <transfer-id> -by NAME -reason TEXT [-amount RP] [-key K]
                      ask for a reversal of (part of) a transfer
  ledger refund <partner> <refid> -by NAME -reason TEXT [-amount RP] [-key K]
                      ask for a refund of a partner request's credit to the partner
  ledger approve <correction-id> -by NAME          approve (writes the reversing transfer)
  ledger reject <correction-id> -by NAME -note TEXT
  ledger corrections [-state requested|approved|rejected|expired] [-n 20]
A correction is decided by another operator than the one who asked for it
(-by names the operator, as in the console; the audit trail also records
the OS account that ran the command). -amount defaults to all that remains.`

// cmdLedger is `smsgw ledger`: maker-checker corrections of the ledger.
func cmdLedger(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, ledgerUsage)
	}
	sub := args[0]
	fs, path := newFlags("ledger " + sub)
	by := fs.String("by", "", "the operator's name")
	reason := fs.String("reason", "", "why (reverse, refund)")
	note := fs.String("note", "", "why (reject)")
	amount := fs.String("amount", "", "rupiah, default all that remains (reverse, refund)")
	key := fs.String("key", "", "idempotency key (reverse, refund): the same key asks once")
	state := fs.String("state", "", "only this state (corrections)")
	n := fs.Int("n", 20, "rows to show (corrections)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, ledgerUsage)
		}
		return err
	}
	want := map[string]int{"reverse": 1, "refund": 2, "approve": 1, "reject": 1, "corrections": 0}
	nargs, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown ledger command %q\n%s", errUsage, sub, ledgerUsage)
	}
	if len(pos) != nargs {
		return fmt.Errorf("%w: ledger %s takes %d argument(s)\n%s", errUsage, sub, nargs, ledgerUsage)
	}
	if sub != "corrections" && *by == "" {
		return fmt.Errorf("%w: ledger %s: -by NAME is required (the operator acting)", errUsage, sub)
	}
	var rp domain.Amount
	if *amount != "" {
		if rp, err = keywords.ParseAmount(*amount); err != nil || rp <= 0 {
			return fmt.Errorf("%w: -amount %q: want whole rupiah, e.g. 50000", errUsage, *amount)
		}
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	who := ledgerActor(*by)
	switch sub {
	case "reverse", "refund":
		req := smsgw.CorrectionRequest{Kind: smsgw.CorrectionReversal, Amount: rp, Reason: *reason, Key: *key}
		if sub == "reverse" {
			if req.TransferID, err = strconv.ParseInt(pos[0], 10, 64); err != nil || req.TransferID <= 0 {
				return fmt.Errorf("%w: transfer id %q", errUsage, pos[0])
			}
		} else {
			req.Kind = smsgw.CorrectionRefund
			if req.TransferID, err = partnerTransfer(ctx, gw, pos[0], pos[1]); err != nil {
				return err
			}
		}
		c, err := gw.RequestCorrection(ctx, who, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "correction %d requested: %s of Rp%s of transfer %d by %s, waiting for another operator until %s\n",
			c.ID, c.Kind, c.Amount.Grouped(), c.TransferID, c.Maker, c.ExpiresAt.In(gw.Rules().Location).Format(time.RFC3339))
		return nil
	case "approve", "reject":
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%w: correction id %q", errUsage, pos[0])
		}
		if sub == "reject" {
			c, err := gw.RejectCorrection(ctx, who, id, *note)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "correction %d rejected by %s\n", c.ID, c.Checker)
			return nil
		}
		c, err := gw.ApproveCorrection(ctx, who, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "correction %d approved by %s: transfer %d moved Rp%s back\n", c.ID, c.Checker, c.ResultTransferID, c.Amount.Grouped())
		return nil
	default:
		cs, err := gw.Corrections(ctx, smsgw.CorrectionFilter{State: *state, Limit: *n})
		if err != nil {
			return err
		}
		loc := gw.Rules().Location
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tTRANSFER\tAMOUNT\tSTATE\tMAKER\tCHECKER\tREQUESTED\tREASON")
		for _, c := range cs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.TransferID, c.Amount.Grouped(), c.State,
				c.Maker, c.Checker, c.CreatedAt.In(loc).Format(time.RFC3339), c.Reason)
		}
		return tw.Flush()
	}
}

// ledgerActor is the operator named by -by, with the OS account that ran
// the command as its address in the audit trail.
func ledgerActor(name string) smsgw.Actor {
	os := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		os = u.Username
	}
	return smsgw.Actor{Name: name, Role: "admin", Remote: "cli:" + os}
}

// partnerTransfer returns the transfer that credited partner request refid.
func partnerTransfer(ctx context.Context, gw *smsgw.Gateway, partnerID, refid string) (int64, error) {
	var id int64
	err := gw.Store().View(ctx, func(tx smsgw.Tx) error {
		ptx, err := partner.TxOf(tx)
		if err != nil {
			return err
		}
		r, err := ptx.PartnerRequestByRef(partnerID, refid)
		if err != nil {
			return fmt.Errorf("partner %s request %s: %w", partnerID, refid, err)
		}
		if r.TransferID == 0 {
			return smsgw.Errorf(smsgw.EInvalid, "partner %s request %s (%s) moved no money: nothing to refund", partnerID, refid, r.State)
		}
		id = r.TransferID
		return nil
	})
	return id, err
}
