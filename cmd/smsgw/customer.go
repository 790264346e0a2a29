package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"golang.org/x/term"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// cmdCustomer is `smsgw customer add|pin-reset|unlock`.
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

// readPIN reads a PIN from the terminal without echo, or one line of stdin.
// PINs are never taken from argv, where ps and shell history would show them.
func readPIN(stdin io.Reader, stdout io.Writer, prompt string) (domain.PIN, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read PIN: %w", err)
		}
		return domain.PIN(strings.TrimSpace(string(b))), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read PIN from stdin: %w", err)
	}
	return domain.PIN(strings.TrimSpace(line)), nil
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
