package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/smsgw/smsgw/console"
)

// cmdConsole is `smsgw console`: console account tools.
func cmdConsole(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "hash-password" {
		return fmt.Errorf("%w: console hash-password", errUsage)
	}
	fs := flag.NewFlagSet("console hash-password", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if pos, err := parseFlags(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("%w: console hash-password takes no arguments: the password is read from the terminal or stdin", errUsage)
	}
	pw, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	h, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

// readPassword reads a password twice from the terminal without echo, or
// one line from stdin. Passwords are never taken from argv.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var pws [2]string
		for i, prompt := range []string{"password: ", "again: "} {
			fmt.Fprint(stdout, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stdout)
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			pws[i] = string(b)
		}
		if pws[0] != pws[1] {
			return "", errors.New("the passwords differ")
		}
		return pws[0], nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
