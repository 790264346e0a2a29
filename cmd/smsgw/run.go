package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// cmdRun is `smsgw run`: the daemon, until ctx is done (SIGINT/SIGTERM).
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

// newLogger builds the slog logger from config.
func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	switch cfg.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
