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
			_, cerr := a.gw.ExpireCorrections(ctx, a.Now())
			return errors.Join(err, cerr)
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
	shared := cfg.Database.Driver == "postgres" // other daemons run the same jobs
	for _, j := range jobs {
		sched, err := cron.ParseStandard(j.spec)
		if err != nil {
			return fmt.Errorf("%s: %w", j.key, err)
		}
		if s, ok := sched.(*cron.SpecSchedule); ok && s.Location == time.Local {
			s.Location = loc
		}
		a.cron.Schedule(sched, cron.FuncJob(func() {
			ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
			defer cancel()
			if shared {
				// One daemon of those sharing the database runs each tick,
				// and none while a run of an earlier tick goes on.
				deadline, _ := ctx.Deadline()
				tick := tickOf(sched, a.Now())
				mine, err := a.gw.ClaimJobRun(ctx, j.key, tick, deadline)
				if err != nil {
					a.Logger.Error("cron job not run", "job", j.key, "err", err)
					return
				}
				if !mine {
					return
				}
				defer func() {
					fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := a.gw.FinishJobRun(fctx, j.key, tick); err != nil {
						a.Logger.Warn("cron job end not recorded; the next tick waits for its deadline", "job", j.key, "err", err)
					}
				}()
			}
			if err := j.run(ctx); err != nil {
				a.Logger.Error("cron job failed", "job", j.key, "err", err)
			}
		}))
	}
	a.cron.Start()
	return nil
}

// jobTimeout bounds one run of a periodic job: its context ends there, and
// daemons sharing a database take a run not finished by then for over.
const jobTimeout = time.Minute

// tickOf names the tick of sched that a run at now belongs to, the same
// for every daemon whatever its start time or a little lateness: for
// "@every d", the d-long slot of the clock holding now; for a calendar
// schedule, its firing time nearest to now.
func tickOf(sched cron.Schedule, now time.Time) time.Time {
	if c, ok := sched.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(c.Delay)
	}
	next := sched.Next(now)
	period := sched.Next(next).Sub(next)
	return sched.Next(now.Add(-period / 2))
}

// cronJob is one periodic job: its config key, cron spec and work.
type cronJob struct {
	key, spec string
	run       func(context.Context) error
}

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, args ...any) { s.l.Info(fmt.Sprintf(format, args...)) }
