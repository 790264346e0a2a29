package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// cmdMigrate is `smsgw migrate`: create or upgrade the database schema.
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
	fmt.Fprintf(stdout, "database %s is up to date\n", storeName(&cfg))
	return nil
}
