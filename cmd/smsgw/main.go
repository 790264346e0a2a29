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
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs one command and returns the process exit status: 0 success,
// 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, err)
		return 2
	default:
		fmt.Fprintln(stderr, "smsgw:", err)
		return 1
	}
}

const usage = `usage: smsgw <command> [flags] [args]

commands:
  run [-config config.toml]                 run the gateway daemon
  check-config [-config config.toml]        validate the configuration and exit
  migrate [-config config.toml]             create or upgrade the database schema
  customer add <msisdn> <account> [-name N] register a payer (PIN read from the terminal or stdin)
  customer pin-reset <msisdn>               set a new PIN (read from the terminal or stdin)
  customer unlock <msisdn>                  lift a PIN lock
  wallet show <account> [-n 20]             show an i-pay wallet and its latest ledger entries
  sim send --from <msisdn> --to <code> <text>   send an SMS through the running simulator and print the replies
  load [-n 1000] [-c 20] [-window 10]       measure complete top-ups against an in-process SMSC
  audit sms|sessions|customers|ledger|trail|tx|transfer [filters] [-format table|csv|json]   audit the store
  console hash-password                     hash a console password (read from the terminal or stdin)
  version                                   print the version

Every command takes -config (default config.toml).`

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stderr)
	case "check-config":
		return cmdCheckConfig(rest, stdout)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout)
	case "customer":
		return cmdCustomer(ctx, rest, stdin, stdout)
	case "wallet":
		return cmdWallet(ctx, rest, stdout)
	case "sim":
		return cmdSim(ctx, rest, stdout)
	case "load":
		return cmdLoad(ctx, rest, stdout)
	case "audit":
		return cmdAudit(ctx, rest, stdout)
	case "console":
		return cmdConsole(ctx, rest, stdin, stdout)
	case "partner":
		return cmdPartner(ctx, rest, stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "smsgw", Version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown command %q\n%s", errUsage, cmd, usage)
	}
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
