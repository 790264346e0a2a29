package main

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// Daemons started at different times, and running a little late, agree on
// the tick of each run.
func TestTickOf(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	every := cron.Every(30 * time.Second)
	minute, _ := cron.ParseStandard("* * * * *")
	daily, _ := cron.ParseStandard("@daily")
	daily.(*cron.SpecSchedule).Location = jakarta
	for _, tc := range []struct {
		name  string
		sched cron.Schedule
		runs  []time.Time
		want  time.Time
	}{
		{"every 30s", every, []time.Time{base.Add(3 * time.Second), base.Add(29 * time.Second)}, base},
		{"every 30s, next slot", every, []time.Time{base.Add(31 * time.Second)}, base.Add(30 * time.Second)},
		{"each minute", minute, []time.Time{base, base.Add(20 * time.Millisecond), base.Add(2 * time.Second)}, base},
		{"daily in Jakarta", daily, []time.Time{time.Date(2026, 12, 3, 0, 0, 1, 0, jakarta)}, time.Date(2026, 12, 3, 0, 0, 0, 0, jakarta)},
	} {
		for _, r := range tc.runs {
			if got := tickOf(tc.sched, r); !got.Equal(tc.want) {
				t.Errorf("%s: tickOf(run at %v) = %v, want %v", tc.name, r, got, tc.want)
			}
		}
	}
}
