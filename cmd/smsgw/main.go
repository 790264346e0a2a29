// Command smsgw is the SMS/USSD keyword top-up gateway daemon and its admin
// tool. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // display.timezone and cron.timezone also where the system has no zoneinfo
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Getenv)
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs one command and returns the process exit status: 0 success,
// 1 failure, 2 usage error, 3 a reconciliation with mismatches.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errMismatch):
		fmt.Fprintln(stderr, "smsgw:", err)
		return 3
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, usageMessage(err))
		return 2
	default:
		fmt.Fprintln(stderr, "smsgw:", err)
		return 1
	}
}

// command is one `smsgw` subcommand: its name, the lines `smsgw help`
// shows for it, and what it runs.
type command struct {
	name string
	help string
	run  func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands are the subcommands in the order `smsgw help` lists them; help
// and version are answered by dispatch itself.
var commands = []command{
	{"run", "run [-config config.toml]                 run the gateway daemon",
		func(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
			return cmdRun(ctx, args, stderr)
		}},
	{"check-config", "check-config [-config config.toml]        validate the configuration and exit",
		func(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdCheckConfig(args, stdout)
		}},
	{"migrate", "migrate [-config config.toml]             create or upgrade the database schema",
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdMigrate(ctx, args, stdout)
		}},
	{"store", `store copy -from <sqlite file> -to <postgres DSN>
                                            move the database to PostgreSQL, verified (store -h)
  store verify -from <sqlite file> -to <postgres DSN>   compare the two again`,
		func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
			return cmdStore(ctx, args, stdout, stderr)
		}},
	{"customer", `customer add <msisdn> <account> [-name N] register a payer (PIN read from the terminal or stdin)
  customer pin-reset <msisdn>               set a new PIN (read from the terminal or stdin)
  customer unlock <msisdn>                  lift a PIN lock`,
		func(ctx context.Context, args []string, stdin io.Reader, stdout, _ io.Writer) error {
			return cmdCustomer(ctx, args, stdin, stdout)
		}},
	{"wallet", "wallet show <account> [-n 20]             show an i-pay wallet and its latest ledger entries",
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdWallet(ctx, args, stdout)
		}},
	{"ledger", `ledger reverse|refund|approve|reject|corrections [args]
                                            maker-checker corrections of the ledger (ledger -h)`,
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdLedger(ctx, args, stdout)
		}},
	{"audit", `audit sms|sessions|customers|ledger|trail|partners|callbacks [filters] [-format table|csv|json]
                                            the console's views, read from the database
  audit tx|transfer <id> [-format table|csv|json]   one transaction as a timeline`,
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdAudit(ctx, args, stdout)
		}},
	{"partner", `partner list|status|callbacks|resend|blocked|unblock|deposit|balance [args]
                                            partner requests, callbacks and deposits (smsgw partner lists them)
  partner reconcile <partner> -date YYYY-MM-DD [-file settlement.csv] [-format table|csv|json] [-out FILE]
                                            a day's requests against the partner's settlement file (exit 3: mismatches)`,
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdPartner(ctx, args, stdout)
		}},
	{"console", "console hash-password                     hash a console password (read from the terminal or stdin)",
		func(ctx context.Context, args []string, stdin io.Reader, stdout, _ io.Writer) error {
			return cmdConsole(ctx, args, stdin, stdout)
		}},
	{"sim", "sim send --from <msisdn> --to <code> <text>   send an SMS through the running simulator and print the replies",
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdSim(ctx, args, stdout)
		}},
	{"load", `load [-flow saldo|topup] [-n N] [-window W] [-rate R] [-external addr] | load seed
                                            play the SMSC: measure flows/s and MO → reply latency (load -h)`,
		func(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
			return cmdLoad(ctx, args, stdout)
		}},
}

// usage is the synopsis `smsgw help` prints, after "usage: ".
func usage() string {
	var b strings.Builder
	b.WriteString("smsgw <command> [flags] [args]\n\ncommands:\n")
	for _, c := range commands {
		b.WriteString("  " + c.help + "\n")
	}
	b.WriteString("  version                                   print the version\n")
	b.WriteString("  help                                      print this help\n")
	b.WriteString("\nEvery command but store, version and help takes -config (default config.toml).")
	return b.String()
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage())
	}
	name, rest := args[0], args[1:]
	switch name {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "smsgw", Version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, "usage:", usage())
		return nil
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, rest, stdin, stdout, stderr)
		}
	}
	return fmt.Errorf("%w: unknown command %q\n%s", errUsage, name, usage())
}

// usageMessage is the text of a usage error with one "usage: " in front.
// The commands' synopses (usage, auditUsage, partnerUsage) start with the
// command, never with "usage: ", and are wrapped with errUsage.
func usageMessage(err error) string {
	return "usage: " + strings.TrimPrefix(err.Error(), "usage: ")
}

// newFlags returns a flag set with the common -config flag.
func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "config.toml", "configuration file")
	return fs, path
}

// parseFlags parses args allowing flags after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
