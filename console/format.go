package console

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// fmtTimeShort formats a time for pages, in the zone it carries.
func fmtTimeShort(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05")
}

func fmtTimePtrShort(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTimeShort(*t)
}

// rupiah formats a signed amount as "Rp50.000" or "-Rp20.000".
func rupiah(v any) string {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case domain.Amount:
		n = int64(x)
	case int:
		n = int64(x)
	}
	if n < 0 {
		return "-Rp" + domain.Amount(-n).Grouped()
	}
	return "Rp" + domain.Amount(n).Grouped()
}

// localMSISDN shows a canonical number in national form ("0811...").
func localMSISDN(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case domain.MSISDN:
		s = string(x)
	}
	if s == "" {
		return ""
	}
	return domain.MSISDN(s).Local()
}

// fmtDuration writes 30m, 2h or 1d rather than Go's 30m0s.
func fmtDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return itoa(int64(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return itoa(int64(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return itoa(int64(d/time.Minute)) + "m"
	}
	return d.String()
}

// stateLabel names a session state for people.
func stateLabel(s string) string {
	switch smsgw.SessionState(s) {
	case smsgw.StateAwaitingPIN:
		return "awaiting PIN"
	case smsgw.StateConfirmed:
		return "confirmed"
	case smsgw.StateLocked:
		return "wrong PIN (locked)"
	case smsgw.StateExpired:
		return "expired"
	case smsgw.StateCancelled:
		return "cancelled"
	case smsgw.StateFailed:
		return "failed"
	}
	return strings.ReplaceAll(s, "_", " ")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// txURL is the page of the transaction a record belongs to: for a message
// its session, else its transfer, else the message itself; for a ledger
// line its session, else its transfer; for a partner request its session,
// else its transfer, else "".
func txURL(rec any) string {
	var msgID, sessionID, transferID int64
	switch r := rec.(type) {
	case *report.SMSRecord:
		msgID, sessionID, transferID = r.ID, r.SessionID, r.TransferID
	case *report.LedgerRecord:
		sessionID, transferID = r.SessionID, r.TransferID
	case *report.PartnerRecord:
		sessionID, transferID = r.SessionID, r.TransferID
	}
	switch {
	case sessionID != 0:
		return "/console/tx/" + itoa(sessionID)
	case transferID != 0:
		return "/console/transfers/" + itoa(transferID)
	case msgID != 0:
		return "/console/sms/" + itoa(msgID)
	}
	return ""
}

// partnerURL is the page of partner request trxid.
func partnerURL(trxid int64) string { return "/console/partners/" + itoa(trxid) }
