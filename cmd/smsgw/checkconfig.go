package main

import (
	"fmt"
	"io"
)

// cmdCheckConfig is `smsgw check-config`: load and validate the
// configuration (Config.Validate), and exit.
func cmdCheckConfig(args []string, stdout io.Writer) error {
	fs, path := newFlags("check-config")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := LoadConfig(*path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
