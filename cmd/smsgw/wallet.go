package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// cmdWallet is `smsgw wallet show`: a wallet and its latest ledger entries.
func cmdWallet(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		return fmt.Errorf("%w: wallet show <account>", errUsage)
	}
	fs, path := newFlags("wallet show")
	n := fs.Int("n", 20, "ledger entries to show")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: wallet show <account>", errUsage)
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	acct, entries, err := gw.Wallet(ctx, pos[0], *n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account  %s\nowner    %s\nbalance  Rp%s\n\n", acct.ID, acct.Owner.Local(), acct.Balance.Grouped())
	loc := gw.Rules().Location // display.timezone
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tTRANSFER\tTIME\tAMOUNT\tBALANCE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\n", e.ID, e.TransferID, e.CreatedAt.In(loc).Format(time.RFC3339), int64(e.Amount), int64(e.BalanceAfter))
	}
	return tw.Flush()
}
