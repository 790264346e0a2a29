package partner

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// A settlement file is the partner's list of its transactions of one day,
// which Reconcile compares with our partner requests. It is CSV (RFC 4180,
// comma-separated, fields may be quoted) in UTF-8, with a header row that
// names the columns, in any order and in any letter case:
//
//	refid   required  the partner's refid (the bank reference for a VA
//	                  payment), as sent to us
//	amount  required  whole rupiah, digits only ("50000"; no separators,
//	                  no decimals); a bank's reversal of a VA payment
//	                  with a minus ("-50000")
//	status  required  success or failed (also 20 or 40, the status codes
//	                  of the partner API)
//	time    optional  the partner's transaction time: 2006-01-02 15:04:05,
//	                  2006-01-02T15:04:05 (both in the partner time zone)
//	                  or RFC 3339 with an offset; may be empty
//
// No other column is allowed, and no column twice: a file that does not
// say what we expect is refused rather than half read. A UTF-8 byte order
// mark, CRLF line ends and blank lines are tolerated; leading and trailing
// spaces of a field are ignored. A file with a header and no rows is a
// valid, empty settlement.
//
// Settlement columns.
const (
	ColRefID  = "refid"
	ColAmount = "amount"
	ColStatus = "status"
	ColTime   = "time"
)

// Bounds of a settlement file when SettlementOptions leaves them zero.
const (
	DefaultSettlementRows  = 200_000
	DefaultSettlementBytes = 32 << 20
)

// SettlementOptions configure ParseSettlement.
type SettlementOptions struct {
	// Location is the zone of times without an offset (default WIB).
	Location *time.Location
	// MaxRows and MaxBytes bound the file (defaults DefaultSettlementRows
	// and DefaultSettlementBytes); a larger file is refused.
	MaxRows  int
	MaxBytes int64
}

// SettlementRow is one transaction of a settlement file.
type SettlementRow struct {
	Line   int // line number in the file, the header being line 1
	RefID  string
	Amount domain.Amount
	State  State     // Success or Failed
	Time   time.Time // zero when the file has no time column or the cell is empty
}

// SettlementError is a bad settlement file: the line (1 is the header) and
// the column of the fault, when known.
type SettlementError struct {
	Line   int
	Column string
	Msg    string
}

func (e *SettlementError) Error() string {
	var b strings.Builder
	b.WriteString("settlement file")
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

func settlementErr(line int, col, format string, args ...any) error {
	return &SettlementError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// settlementTimeLayouts are the time formats of the time column.
var settlementTimeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"}

// ParseSettlement reads a settlement file. Errors are *SettlementError,
// naming the line and column, except a failing reader's.
func ParseSettlement(r io.Reader, o SettlementOptions) ([]SettlementRow, error) {
	if o.Location == nil {
		o.Location = wib
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultSettlementRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultSettlementBytes
	}
	lr := &limitedReader{r: r, n: o.MaxBytes}
	br := bufio.NewReader(lr)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, with a better message
	cr.ReuseRecord = true
	readErr := func(err error) error {
		if errors.Is(err, errTooLarge) {
			return settlementErr(0, "", "larger than %d bytes", o.MaxBytes)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return settlementErr(pe.Line, "", "not valid CSV: %v", pe.Err)
		}
		return err
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, settlementErr(1, "", "empty: want a header row naming the columns refid, amount, status and optionally time")
	} else if err != nil {
		return nil, readErr(err)
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch name {
		case ColRefID, ColAmount, ColStatus, ColTime:
		default:
			return nil, settlementErr(1, strconv.Itoa(i+1), "unknown column %q: want refid, amount, status and optionally time", clip(h))
		}
		if _, dup := cols[name]; dup {
			return nil, settlementErr(1, name, "column named twice")
		}
		cols[name] = i
	}
	for _, need := range []string{ColRefID, ColAmount, ColStatus} {
		if _, ok := cols[need]; !ok {
			return nil, settlementErr(1, need, "missing: the header must name refid, amount and status")
		}
	}
	timeCol, hasTime := cols[ColTime]
	var rows []SettlementRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		} else if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces
		}
		if len(rec) != len(header) {
			return nil, settlementErr(line, "", "%d fields, the header has %d", len(rec), len(header))
		}
		if len(rows) == o.MaxRows {
			return nil, settlementErr(line, "", "more than %d rows", o.MaxRows)
		}
		row := SettlementRow{Line: line}
		row.RefID = strings.TrimSpace(rec[cols[ColRefID]])
		if !ValidRefID(row.RefID) {
			return nil, settlementErr(line, ColRefID, "%q is not a refid: 1-64 printable ASCII characters without spaces, '#', '&', '=' or '%%'", clip(row.RefID))
		}
		amount := strings.TrimSpace(rec[cols[ColAmount]])
		digits, reversal := strings.CutPrefix(amount, "-")
		n, ok := ParseRupiah(digits)
		if !ok {
			return nil, settlementErr(line, ColAmount, "%q is not an amount: whole rupiah, digits only, such as 50000 (-50000 for a reversal)", clip(amount))
		}
		row.Amount = n
		if reversal {
			row.Amount = -row.Amount
		}
		status := strings.ToLower(strings.TrimSpace(rec[cols[ColStatus]]))
		switch status {
		case "success", "20":
			row.State = Success
		case "failed", "40":
			row.State = Failed
		default:
			return nil, settlementErr(line, ColStatus, "%q is not a status: want success or failed (20 or 40)", clip(status))
		}
		if hasTime {
			if s := strings.TrimSpace(rec[timeCol]); s != "" {
				if row.Time, err = parseSettlementTime(s, o.Location); err != nil {
					return nil, settlementErr(line, ColTime, "%q is not a time: want 2006-01-02 15:04:05 (partner time zone) or RFC 3339", clip(s))
				}
			}
		}
		rows = append(rows, row)
	}
}

func parseSettlementTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range settlementTimeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

// ParseRupiah parses a positive amount of whole rupiah written in digits
// only (no sign, no separators, no decimals), at most domain.MaxAmount.
func ParseRupiah(s string) (domain.Amount, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !isDigits(s) || n <= 0 || domain.Amount(n) > domain.MaxAmount {
		return 0, false
	}
	return domain.Amount(n), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var errTooLarge = errors.New("too large")

// limitedReader fails with errTooLarge past n bytes, unlike io.LimitReader,
// which would end a large file silently.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return 0, errTooLarge
	}
	return n, err
}
