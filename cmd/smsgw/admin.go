package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	fs, path := newFlags("run")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: run takes no arguments", errUsage)
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	app := &App{Config: cfg, Logger: newLogger(cfg.Log, stderr)}
	// SIGHUP reloads reply templates, keywords, nominal rules and the flow
	// policy from the same file; binds, store and listeners stay as they are.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := app.Reload(*path); err != nil {
					app.Logger.Error("reload failed; keeping the rules in force", "err", err)
				}
			}
		}
	}()
	return app.Run(ctx)
}

// adminGateway opens the store and a gateway that cannot send (admin
// commands only change customers and read wallets).
func adminGateway(ctx context.Context, path string) (*smsgw.Gateway, func(), error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, &cfg, log, time.Now)
	if err != nil {
		return nil, nil, err
	}
	noSend := smsgw.SenderFunc(func(context.Context, smsgw.MT) ([]string, error) {
		return nil, errors.New("admin commands do not send SMS")
	})
	gw, err := newGateway(&cfg, st, noSend, log, time.Now, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := gw.Init(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	return gw, func() { st.Close() }, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := newFlags("migrate")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "database %s is up to date\n", cfg.resolve(cfg.Database.Path))
	return nil
}

// readPIN reads a PIN from the terminal without echo, or one line of stdin.
// PINs are never taken from argv, where ps and shell history would show them.
func readPIN(stdin io.Reader, stdout io.Writer, prompt string) (keywords.PIN, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		return keywords.PIN(strings.TrimSpace(string(b))), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read PIN from stdin: %w", err)
	}
	return keywords.PIN(strings.TrimSpace(line)), nil
}

func cmdCustomer(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: customer add|pin-reset|unlock", errUsage)
	}
	sub := args[0]
	fs, path := newFlags("customer " + sub)
	name := fs.String("name", "", "customer name (add)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		if len(pos) != 2 {
			return fmt.Errorf("%w: customer add <msisdn> <account> [-name N]", errUsage)
		}
	case "pin-reset", "unlock":
		if len(pos) != 1 {
			return fmt.Errorf("%w: customer %s <msisdn>", errUsage, sub)
		}
	default:
		return fmt.Errorf("%w: unknown customer command %q", errUsage, sub)
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	switch sub {
	case "add":
		pin, err := readPIN(stdin, stdout, "PIN: ")
		if err != nil {
			return err
		}
		if err := gw.AddCustomer(ctx, pos[0], pos[1], *name, pin); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "customer %s registered with account %s\n", pos[0], pos[1])
	case "pin-reset":
		pin, err := readPIN(stdin, stdout, "new PIN: ")
		if err != nil {
			return err
		}
		if err := gw.ResetCustomerPIN(ctx, cliActor(), pos[0], pin); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "PIN of %s reset\n", pos[0])
	case "unlock":
		if err := gw.UnlockCustomer(ctx, cliActor(), pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s unlocked\n", pos[0])
	}
	return nil
}

// cliActor is the operator at the command line, as the audit trail names
// them: "cli:" and the OS user.
func cliActor() smsgw.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return smsgw.Actor{Name: "cli:" + name, Role: "admin", Remote: "cli"}
}

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
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tTRANSFER\tTIME\tAMOUNT\tBALANCE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\n", e.ID, e.TransferID, e.CreatedAt.Format(time.RFC3339), int64(e.Amount), int64(e.BalanceAfter))
	}
	return tw.Flush()
}
