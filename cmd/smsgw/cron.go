package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// startCron schedules the periodic jobs; each only calls a Gateway method.
func (a *App) startCron() error {
	cfg := &a.Config
	loc, err := time.LoadLocation(cfg.Cron.Timezone)
	if err != nil {
		return fmt.Errorf("cron.timezone: %w", err)
	}
	logger := cron.PrintfLogger(slogPrintf{a.Logger.With("component", "cron")})
	a.cron = cron.New(cron.WithLocation(loc), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	jobs := []cronJob{
		{"cron.expire_sessions", cfg.Cron.ExpireSessions, func(ctx context.Context) error {
			_, err := a.gw.ExpirePending(ctx, a.Now())
			return err
		}},
		{"cron.unlock_pins", cfg.Cron.UnlockPINs, func(ctx context.Context) error {
			_, err := a.gw.UnlockDue(ctx, a.Now())
			return err
		}},
		{"cron.purge_dedup", cfg.Cron.PurgeDedup, func(ctx context.Context) error {
			_, err := a.gw.PurgeDedup(ctx, a.Now())
			_, perr := a.gw.ExpireMOParts(ctx, a.Now())
			return errors.Join(err, perr)
		}},
		{"cron.daily_summary", cfg.Cron.DailySummary, func(ctx context.Context) error {
			_, err := a.gw.DailySummary(ctx, a.Now())
			return err
		}},
	}
	jobs = append(jobs, a.h2hJobs()...)
	for _, j := range jobs {
		_, err := a.cron.AddFunc(j.spec, func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := j.run(ctx); err != nil {
				a.Logger.Error("cron job failed", "job", j.key, "err", err)
			}
		})
		if err != nil {
			return fmt.Errorf("%s: %w", j.key, err)
		}
	}
	a.cron.Start()
	return nil
}

// cronJob is one periodic job: its config key, cron spec and work.
type cronJob struct {
	key, spec string
	run       func(context.Context) error
}

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, args ...any) { s.l.Info(fmt.Sprintf(format, args...)) }
