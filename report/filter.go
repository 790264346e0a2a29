package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Values are the filter values of a listing by field name (the view's
// Filters), as an operator typed them in a form or on a command line. A
// missing or empty value does not filter.
type Values map[string]string

// Env is the clock and zone a query is read and its records written in.
type Env struct {
	// Now is the time relative filters ("since=24h") and customer locks
	// count from (default time.Now()).
	Now time.Time
	// Location is the zone of filter times without a zone and of the
	// times written (default UTC).
	Location *time.Location
}

// norm fills the defaults of e.
func (e Env) norm() Env {
	if e.Now.IsZero() {
		e.Now = time.Now()
	}
	if e.Location == nil {
		e.Location = time.UTC
	}
	return e
}

// FilterError is a filter value that could not be parsed; Field is the
// filter's name (the console's query parameter and the CLI's flag).
type FilterError struct {
	Field string
	Msg   string
}

func (e *FilterError) Error() string { return e.Field + ": " + e.Msg }

func filterErr(field, format string, args ...any) error {
	return &FilterError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// A Query is the typed filter of one listing (SMSQuery, SessionQuery,
// CustomerQuery, LedgerQuery, AuditQuery, PartnerQuery, CallbackQuery).
// It names its view and columns and fetches pages of its records, in the
// view's order, from a read transaction.
type Query interface {
	View() string
	Columns() []string
	Fetch(src Source, e Env, limit, offset int) ([]Record, error)
}

// A Record is one row of a listing. It marshals to JSON with stable field
// names; Cells gives its CSV and table values in column order.
type Record interface {
	Cells() []string
}

// View names: the listings, as the console's export and `smsgw audit`
// name them.
const (
	ViewSMS       = "sms"
	ViewSessions  = "sessions"
	ViewCustomers = "customers"
	ViewLedger    = "ledger"
	ViewAudit     = "audit"
	ViewPartners  = "partners"
	ViewCallbacks = "callbacks"
)

// Views lists the names of the listings.
func Views() []string {
	return []string{ViewSMS, ViewSessions, ViewCustomers, ViewLedger, ViewAudit, ViewPartners, ViewCallbacks}
}

// Filters lists the filter fields of a view, in form order; nil for an
// unknown view.
func Filters(view string) []string {
	switch view {
	case ViewSMS:
		return []string{"msisdn", "short_code", "keyword", "template", "direction", "status", "since", "until", "session", "transfer"}
	case ViewSessions:
		return []string{"msisdn", "state", "since", "until"}
	case ViewCustomers:
		return []string{"msisdn", "locked"}
	case ViewLedger:
		return []string{"account", "since", "until"}
	case ViewAudit:
		return []string{"actor", "action", "target", "since", "until"}
	case ViewPartners:
		return []string{"partner", "refid", "trxid", "msisdn", "status", "since", "until"}
	case ViewCallbacks:
		return []string{"partner", "status", "trxid"}
	}
	return nil
}

// Choices lists the values a filter field of a view offers (for a select
// in a form); nil for a free-form field. The parsers accept a few aliases
// besides (mo/mt, open, status codes, dead_letter).
func Choices(view, field string) []string {
	switch view + "." + field {
	case ViewSMS + ".direction":
		return slices.Clone(directions)
	case ViewSMS + ".status":
		return slices.Clone(statuses)
	case ViewSMS + ".keyword":
		return slices.Clone(moKeywords)
	case ViewSMS + ".template":
		return smsgw.ReplyNames()
	case ViewSessions + ".state":
		return slices.Clone(states)
	case ViewAudit + ".action":
		return slices.Clone(auditActions)
	case ViewPartners + ".status":
		return slices.Clone(partnerStates)
	case ViewCallbacks + ".status":
		return slices.Clone(callbackStatuses)
	}
	return nil
}

// parsers maps view names to their filter parsers.
var parsers = map[string]func(v Values, e Env) (Query, error){
	ViewSMS:       func(v Values, e Env) (Query, error) { return ParseSMSQuery(v, e) },
	ViewSessions:  func(v Values, e Env) (Query, error) { return ParseSessionQuery(v, e) },
	ViewCustomers: func(v Values, e Env) (Query, error) { return ParseCustomerQuery(v) },
	ViewLedger:    func(v Values, e Env) (Query, error) { return ParseLedgerQuery(v, e) },
	ViewAudit:     func(v Values, e Env) (Query, error) { return ParseAuditQuery(v, e) },
	ViewPartners:  func(v Values, e Env) (Query, error) { return ParsePartnerQuery(v, e) },
	ViewCallbacks: func(v Values, e Env) (Query, error) { return ParseCallbackQuery(v) },
}

// ParseQuery reads the filter values of a view (one of Views) into its
// typed query. A *FilterError names the field of a bad value (or "view"
// for an unknown view).
func ParseQuery(view string, v Values, e Env) (Query, error) {
	p, ok := parsers[view]
	if !ok {
		return nil, filterErr("view", "unknown view %q (want one of %s)", view, strings.Join(Views(), ", "))
	}
	return p(v, e.norm())
}

// Filter value parsers. Each names its field in errors.

func parseMSISDN(field, s string) (domain.MSISDN, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	m, err := keywords.NormalizeMSISDN(s)
	if err != nil {
		return "", filterErr(field, "not a mobile number: %q", s)
	}
	return domain.MSISDN(m), nil
}

// parseMSISDNPrefix turns the start of a number in any accepted form
// ("0811", "62811", "+62811") into the start of a canonical MSISDN.
func parseMSISDNPrefix(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer(" ", "", "-", "", ".", "").Replace(s)
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return "", nil
	}
	if strings.Trim(s, "0123456789") != "" || len(s) > 15 {
		return "", filterErr(field, "want the digits of a number or of its start, got %q", s)
	}
	if strings.HasPrefix(s, "0") {
		s = "62" + s[1:]
	}
	return s, nil
}

func parseID(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, filterErr(field, "want a positive number, got %q", s)
	}
	return n, nil
}

// Time layouts accepted by filters, interpreted in the operator's zone.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"}

// parseTime reads a filter time: RFC 3339, a local date and time such as
// 2025-03-01T10:00 (the form of a datetime-local input) or a date, or a
// duration such as 24h meaning that long before now.
func parseTime(field, s string, e Env) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return e.Now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, e.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, filterErr(field, "want a time such as 2025-03-01T10:00, a date, or a duration such as 24h; got %q", s)
}

func parseRange(v Values, e Env) (since, until time.Time, err error) {
	if since, err = parseTime("since", v["since"], e); err != nil {
		return
	}
	if until, err = parseTime("until", v["until"], e); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		err = filterErr("until", "must be after since")
	}
	return
}

func oneOf(field, s string, allowed ...string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || slices.Contains(allowed, s) {
		return s, nil
	}
	return "", filterErr(field, "want one of %s, got %q", strings.Join(allowed, ", "), s)
}

// parseText reads a free-text filter: trimmed, at most 64 characters.
func parseText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return "", filterErr(field, "at most 64 characters")
	}
	return s, nil
}

// moKeywords are the keywords and markers recorded on MOs.
var moKeywords = []string{
	keywords.KeywordPay, keywords.KeywordBalance, keywords.KeywordHistory, keywords.KeywordPIN, keywords.KeywordCancel,
	keywords.KeywordHelp, "PIN_REPLY", "PIN_WRONG_CODE", "UNKNOWN", "WRONG_SHORT_CODE", "INVALID_SENDER",
}

var (
	directions = []string{smsgw.DirIn, smsgw.DirOut}
	statuses   = []string{smsgw.MsgReceived, smsgw.MsgProcessed, smsgw.MsgRateLimited, smsgw.MsgRefused, smsgw.MsgQueued, smsgw.MsgSent, smsgw.MsgFailed,
		smsgw.MsgDelivered, smsgw.MsgUndeliv}
	states = []string{string(smsgw.StateAwaitingPIN), string(smsgw.StateConfirmed), string(smsgw.StateLocked),
		string(smsgw.StateExpired), string(smsgw.StateCancelled), string(smsgw.StateFailed)}
	auditActions = []string{smsgw.ActionCustomerLock, smsgw.ActionCustomerUnlock, smsgw.ActionCustomerResetPIN,
		smsgw.ActionBindSuspend, smsgw.ActionBindResume, smsgw.ActionLogin, smsgw.ActionLogout,
		partner.ActionDeposit, partner.ActionUnblock, partner.ActionCallbackResend,
		smsgw.ActionCorrectionRequest, smsgw.ActionCorrectionApprove, smsgw.ActionCorrectionReject, smsgw.ActionCorrectionExpire}
	partnerStates = []string{string(partner.Pending), string(partner.Success), string(partner.Failed),
		string(partner.Unknown)}
	callbackStatuses = []string{partner.CallbackQueued, partner.CallbackSent, partner.CallbackDead}
)

// Formatting helpers of the records' cells.

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func idOrEmpty(n int64) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

// fmtTime formats t in its own zone, RFC 3339 with seconds.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}
