package main

import (
	"fmt"
	"io"
)

// cmdCheckConfig is `smsgw check-config`: load and validate the
// configuration, build the rules, and exit.
func cmdCheckConfig(args []string, stdout io.Writer) error {
	fs, path := newFlags("check-config")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	if _, err := buildRules(&cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
