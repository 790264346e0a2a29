package pdu

import (
	"errors"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in       string
		want     time.Time
		relative bool
	}{
		{"", time.Time{}, false},
		{"240115123100004+", time.Date(2024, 1, 15, 12, 31, 0, 0, time.FixedZone("", 3600)), false},
		{"240115123100000+", time.Date(2024, 1, 15, 12, 31, 0, 0, time.UTC), false},
		{"240115123159748-", time.Date(2024, 1, 15, 12, 31, 59, 700_000_000, time.FixedZone("", -12*3600)), false},
		{"371231235959048+", time.Date(2037, 12, 31, 23, 59, 59, 0, time.FixedZone("", 12*3600)), false},
		{"380101000000000+", time.Date(1938, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"990101000000000-", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"000229000000000+", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"000001000000000R", now.AddDate(0, 0, 1), true},
		{"000000013000000R", now.Add(90 * time.Minute), true},
		{"010203040506000R", now.AddDate(1, 2, 3).Add(4*time.Hour + 5*time.Minute + 6*time.Second), true},
	}
	for _, tt := range tests {
		got, rel, err := ParseTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) || rel != tt.relative {
			t.Errorf("ParseTime(%q) = %v, %v, %v, want %v, %v", tt.in, got, rel, err, tt.want, tt.relative)
			continue
		}
		if _, off := got.Zone(); !tt.relative && tt.in != "" {
			if _, wantOff := tt.want.Zone(); off != wantOff {
				t.Errorf("ParseTime(%q) offset %d, want %d", tt.in, off, wantOff)
			}
		}
	}
	for _, in := range []string{
		"2401151231000004+", "24011512310000+", "240115123100004*", "241315123100004+", "240132123100004+",
		"230229000000000+", "240115243100004+", "240115126000004+", "240115123160004+", "240115123100049+",
		"24a115123100004+", "2401151231000a4+", "240115123100x04+", "000000240000000R", "000000006000000R",
	} {
		if _, _, err := ParseTime(in, now); !errors.Is(err, ErrBadTime) {
			t.Errorf("ParseTime(%q) error %v, want ErrBadTime", in, err)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 1, 15, 12, 31, 0, 0, time.FixedZone("CET", 3600)), "240115123100004+"},
		{time.Date(2024, 1, 15, 12, 31, 59, 750_000_000, time.UTC), "240115123159700+"},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(3*3600+30*60))), "991231235959014-"},
		{time.Date(2024, 1, 15, 12, 0, 0, 0, time.FixedZone("odd", 3600+60)), "240115105900000+"},
		{time.Date(2024, 1, 15, 12, 0, 0, 0, time.FixedZone("far", 14*3600)), "240114220000000+"},
	}
	for _, tt := range tests {
		got := FormatTime(tt.in)
		if got != tt.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, rel, err := ParseTime(got, time.Time{})
		if err != nil || rel || !back.Equal(tt.in.Truncate(100*time.Millisecond)) {
			t.Errorf("ParseTime(FormatTime(%v)) = %v, %v, %v", tt.in, back, rel, err)
		}
	}
}

func TestFormatRelative(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "000000000000000R"},
		{-time.Hour, "000000000000000R"},
		{90*time.Minute + 1500*time.Millisecond, "000000013001000R"},
		{24 * time.Hour, "000001000000000R"},
		{30*24*time.Hour + time.Second, "000030000001000R"},
		{45 * 24 * time.Hour, "000115000000000R"},
		{400 * 24 * time.Hour, "010105000000000R"},
		{1 << 62, "991130235959000R"},
	}
	now := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		got := FormatRelative(tt.in)
		if got != tt.want {
			t.Errorf("FormatRelative(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, rel, err := ParseTime(got, now)
		if err != nil || !rel {
			t.Errorf("ParseTime(FormatRelative(%v)) = %v, %v, %v", tt.in, back, rel, err)
		}
		if tt.in >= 0 && tt.in <= 30*24*time.Hour && !back.Equal(now.Add(tt.in.Truncate(time.Second))) {
			t.Errorf("ParseTime(FormatRelative(%v)) = %v, want %v", tt.in, back, now.Add(tt.in))
		}
	}
}
