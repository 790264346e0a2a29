package main

import (
	"fmt"
	"io"
)

// cmdCheckConfig is `smsgw check-config`: load and validate the
// configuration (Config.Validate), print its warnings, and exit.
func cmdCheckConfig(args []string, stdout io.Writer) error {
	fs, path := newFlags("check-config")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", *path, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
