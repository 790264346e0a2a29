package pdu

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadTime is returned by ParseTime for a string that is not an SMPP time.
var ErrBadTime = errors.New("malformed smpp time")

// ParseTime parses an SMPP time (§7.1.1), "YYMMDDhhmmsstnnp":
//
//   - absolute (p is '+' or '-'): t is that instant; nn is the offset from
//     UTC in quarter hours (00–48) and t keeps it as a fixed zone. Two-digit
//     years 00–37 are 20xx, 38–99 are 19xx.
//   - relative (p is 'R'): YY MM DD hh mm ss is a period added to now
//     (years, months and days calendar-wise with time.Time.AddDate);
//     relative is true.
//
// An empty string (the NULL time) gives the zero time.Time and no error.
func ParseTime(s string, now time.Time) (t time.Time, relative bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	if len(s) != timeLen {
		return time.Time{}, false, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
	}
	var f [7]int // YY MM DD hh mm ss nn
	pos := [7][2]int{{0, 2}, {2, 4}, {4, 6}, {6, 8}, {8, 10}, {10, 12}, {13, 15}}
	for i, r := range pos {
		v, ok := digits(s[r[0]:r[1]])
		if !ok {
			return time.Time{}, false, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
		}
		f[i] = v
	}
	tenths, ok := digits(s[12:13])
	if !ok {
		return time.Time{}, false, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
	}
	switch s[15] {
	case 'R':
		if f[3] > 23 || f[4] > 59 || f[5] > 59 {
			return time.Time{}, true, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
		}
		t = now.AddDate(f[0], f[1], f[2]).Add(time.Duration(f[3])*time.Hour +
			time.Duration(f[4])*time.Minute + time.Duration(f[5])*time.Second)
		return t, true, nil
	case '+', '-':
	default:
		return time.Time{}, false, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
	}
	year := 2000 + f[0]
	if f[0] >= 38 {
		year = 1900 + f[0]
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > daysIn(year, time.Month(f[1])) ||
		f[3] > 23 || f[4] > 59 || f[5] > 59 || f[6] > 48 {
		return time.Time{}, false, fmt.Errorf("parse time %q: %w", s, ErrBadTime)
	}
	off := f[6] * 15 * 60
	if s[15] == '-' {
		off = -off
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off)
	}
	t = time.Date(year, time.Month(f[1]), f[2], f[3], f[4], f[5], tenths*int(100*time.Millisecond), loc)
	return t, false, nil
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatTime formats t as an absolute SMPP time "YYMMDDhhmmsstnn+" in t's
// own offset from UTC when that is a whole number of quarter hours within
// ±12 hours, in UTC otherwise. Tenths of a second are truncated. Only years
// 1938–2037 survive ParseTime unchanged (two-digit year).
func FormatTime(t time.Time) string {
	_, off := t.Zone()
	if off%(15*60) != 0 || off > 48*15*60 || off < -48*15*60 {
		t = t.UTC()
		off = 0
	}
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	b := make([]byte, 0, timeLen)
	b = append2(b, t.Year()%100)
	b = append2(b, int(t.Month()))
	b = append2(b, t.Day())
	b = append2(b, t.Hour())
	b = append2(b, t.Minute())
	b = append2(b, t.Second())
	b = append(b, byte('0'+t.Nanosecond()/int(100*time.Millisecond)))
	b = append2(b, off/(15*60))
	b = append(b, sign)
	return string(b)
}

// FormatRelative formats d as a relative SMPP time "YYMMDDhhmmss000R".
// Whole seconds are kept (negative durations count as 0). A period of 31
// days or more is written with months of 30 days and years of 365 days, so
// it is approximate once ParseTime adds it calendar-wise; periods beyond 99
// years are capped.
func FormatRelative(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64(d / time.Second)
	const day = 24 * 3600
	days := secs / day
	secs %= day
	years := days / 365
	days %= 365
	months := int64(0)
	if days > 30 {
		months = days / 30
		days %= 30
	}
	if months > 11 {
		years++
		months = 0
	}
	if years > 99 {
		years, months, days, secs = 99, 11, 30, day-1
	}
	b := make([]byte, 0, timeLen)
	b = append2(b, int(years))
	b = append2(b, int(months))
	b = append2(b, int(days))
	b = append2(b, int(secs/3600))
	b = append2(b, int(secs/60%60))
	b = append2(b, int(secs%60))
	b = append(b, "000R"...)
	return string(b)
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}
