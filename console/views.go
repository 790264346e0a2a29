package console

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// A listing is one filtered view (SMS log, sessions, customers, ledger,
// audit trail): its columns and a way to fetch pages of its records, in
// the view's order, from a read transaction (report.Source: the store's
// read-only queries).
type listing interface {
	columns() []string
	fetch(tx report.Source, limit, offset int) ([]record, error)
}

// A record is one row of a listing. It marshals to JSON with stable field
// names, and cells gives its CSV and table values in column order.
type record interface {
	cells() []string
}

// env is what filter parsing needs: the clock and the operator's zone.
type env struct {
	now time.Time
	loc *time.Location
}

// FilterError is a filter value that could not be parsed; Field is the
// query parameter (and CLI flag) name.
type FilterError struct {
	Field string
	Msg   string
}

func (e *FilterError) Error() string { return e.Field + ": " + e.Msg }

func filterErr(field, format string, args ...any) error {
	return &FilterError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// parsers maps view names to their filter parsers. The names are the
// export and `smsgw audit` view names.
var parsers = map[string]func(q url.Values, e env) (listing, error){
	ViewSMS:       parseSMS,
	ViewSessions:  parseSessions,
	ViewCustomers: parseCustomers,
	ViewLedger:    parseLedger,
	ViewAudit:     parseAudit,
	ViewPartners:  parsePartners,
	ViewCallbacks: parseCallbacks,
}

// View names accepted by Export.
const (
	ViewSMS       = "sms"
	ViewSessions  = "sessions"
	ViewCustomers = "customers"
	ViewLedger    = "ledger"
	ViewAudit     = "audit"
)

// Views lists the names of the exportable views.
func Views() []string {
	return []string{ViewSMS, ViewSessions, ViewCustomers, ViewLedger, ViewAudit, ViewPartners, ViewCallbacks}
}

// Filters lists the filter parameters of a view, in form order; nil for
// an unknown view.
func Filters(view string) []string {
	switch view {
	case ViewSMS:
		return []string{"msisdn", "short_code", "keyword", "direction", "status", "since", "until", "session", "transfer"}
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

func parseListing(view string, q url.Values, e env) (listing, error) {
	p, ok := parsers[view]
	if !ok {
		return nil, filterErr("view", "unknown view %q (want one of %s)", view, strings.Join(Views(), ", "))
	}
	return p(q, e)
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
func parseTime(field, s string, e env) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return e.now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, e.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, filterErr(field, "want a time such as 2025-03-01T10:00, a date, or a duration such as 24h; got %q", s)
}

func parseRange(q url.Values, e env) (since, until time.Time, err error) {
	if since, err = parseTime("since", q.Get("since"), e); err != nil {
		return
	}
	if until, err = parseTime("until", q.Get("until"), e); err != nil {
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

// Message keywords as the gateway records them: canonical keywords and
// markers upper case, reply names (on MTs) lower case.
var replyNames = []string{
	smsgw.ReplyHelp, smsgw.ReplyUnknownKeyword, smsgw.ReplyBadFormat, smsgw.ReplyNotRegistered, smsgw.ReplyUnknownAccount,
	smsgw.ReplyBadAmount, smsgw.ReplyAmountNotAllow, smsgw.ReplyPINPrompt, smsgw.ReplyBusy, smsgw.ReplySuccess,
	smsgw.ReplyWrongPIN, smsgw.ReplyLocked, smsgw.ReplyStillLocked, smsgw.ReplyExpired, smsgw.ReplyCancelled,
	smsgw.ReplyNothingToCancel, smsgw.ReplyNoSession, smsgw.ReplyNotAPIN, smsgw.ReplyBalance, smsgw.ReplyHistory,
	smsgw.ReplyHistoryEmpty, smsgw.ReplyPINChanged, smsgw.ReplyPINChangeFailed, smsgw.ReplyFailed, smsgw.ReplyPINWrongCode,
}

// moKeywords are the keywords and markers recorded on MOs.
var moKeywords = []string{
	keywords.KeywordPay, keywords.KeywordBalance, keywords.KeywordHistory, keywords.KeywordPIN, keywords.KeywordCancel,
	keywords.KeywordHelp, "PIN_REPLY", "PIN_WRONG_CODE", "UNKNOWN", "WRONG_SHORT_CODE", "INVALID_SENDER",
}

// normalizeKeyword matches the case the gateway records: reply names stay
// lower case, anything else is upper-cased.
func normalizeKeyword(s string) string {
	s = strings.TrimSpace(s)
	if slices.Contains(replyNames, strings.ToLower(s)) {
		return strings.ToLower(s)
	}
	return strings.ToUpper(s)
}

var (
	directions = []string{smsgw.DirIn, smsgw.DirOut}
	statuses   = []string{smsgw.MsgReceived, smsgw.MsgProcessed, smsgw.MsgRateLimited, smsgw.MsgRefused, smsgw.MsgQueued, smsgw.MsgSent, smsgw.MsgFailed,
		smsgw.MsgDelivered, smsgw.MsgUndeliv}
	states = []string{string(smsgw.StateAwaitingPIN), string(smsgw.StateConfirmed), string(smsgw.StateLocked),
		string(smsgw.StateExpired), string(smsgw.StateCancelled), string(smsgw.StateFailed)}
	auditActions = []string{smsgw.ActionCustomerLock, smsgw.ActionCustomerUnlock, smsgw.ActionCustomerResetPIN,
		smsgw.ActionBindSuspend, smsgw.ActionBindResume, smsgw.ActionLogin, smsgw.ActionLogout,
		partner.ActionDeposit, partner.ActionUnblock, partner.ActionCallbackResend}
)

// SMS log.

type smsListing struct {
	f   smsgw.MessageFilter
	loc *time.Location
}

func parseSMS(q url.Values, e env) (listing, error) {
	var (
		l   = &smsListing{loc: e.loc}
		err error
	)
	if l.f.MSISDN, err = parseMSISDN("msisdn", q.Get("msisdn")); err != nil {
		return nil, err
	}
	if sc := strings.TrimSpace(q.Get("short_code")); sc != "" {
		if strings.Trim(sc, "0123456789") != "" {
			return nil, filterErr("short_code", "want digits, got %q", sc)
		}
		l.f.ShortCode = sc
	}
	l.f.Keyword = normalizeKeyword(q.Get("keyword"))
	dir := strings.ToLower(strings.TrimSpace(q.Get("direction")))
	switch dir {
	case "mo":
		dir = smsgw.DirIn
	case "mt":
		dir = smsgw.DirOut
	}
	if l.f.Direction, err = oneOf("direction", dir, directions...); err != nil {
		return nil, err
	}
	if l.f.Status, err = oneOf("status", strings.ToLower(q.Get("status")), statuses...); err != nil {
		return nil, err
	}
	if l.f.Since, l.f.Until, err = parseRange(q, e); err != nil {
		return nil, err
	}
	if l.f.SessionID, err = parseID("session", q.Get("session")); err != nil {
		return nil, err
	}
	if l.f.TransferID, err = parseID("transfer", q.Get("transfer")); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *smsListing) columns() []string {
	return []string{"id", "time", "direction", "channel", "short_code", "msisdn", "keyword", "text", "status",
		"dlr_state", "dlr_error", "attempts", "last_error", "session_id", "transfer_id", "smsc_ids"}
}

func (l *smsListing) fetch(tx report.Source, limit, offset int) ([]record, error) {
	f := l.f
	f.Limit, f.Offset = limit, offset
	ms, err := tx.Messages(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(ms))
	for i := range ms {
		out[i] = newSMSRecord(&ms[i], l.loc)
	}
	return out, nil
}

// SMSRecord is one SMS log row as the console shows and exports it. Text
// is the operator-visible text: PIN-bearing messages are redacted.
type SMSRecord struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Direction  string    `json:"direction"`
	Channel    string    `json:"channel"`
	ShortCode  string    `json:"short_code"`
	MSISDN     string    `json:"msisdn"`
	Keyword    string    `json:"keyword"`
	Text       string    `json:"text"`
	Status     string    `json:"status"`
	DLRState   string    `json:"dlr_state"`
	DLRError   string    `json:"dlr_error"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error"`
	SessionID  int64     `json:"session_id"`
	TransferID int64     `json:"transfer_id"`
	SMSCIDs    []string  `json:"smsc_ids"`
}

func newSMSRecord(m *smsgw.Message, loc *time.Location) *SMSRecord {
	ids := m.SMSCIDs
	if ids == nil {
		ids = []string{}
	}
	return &SMSRecord{
		ID: m.ID, Time: m.CreatedAt.In(loc), Direction: m.Direction, Channel: m.Channel, ShortCode: m.ShortCode,
		MSISDN: string(m.MSISDN), Keyword: m.Keyword, Text: redactedText(m), Status: m.Status,
		DLRState: m.DLRState, DLRError: m.DLRError, Attempts: m.Attempts, LastError: m.LastError,
		SessionID: m.SessionID, TransferID: m.TransferID, SMSCIDs: ids,
	}
}

// redactedText returns the text of m that an operator may see. The
// gateway stores PIN-bearing texts redacted already; this keeps the
// console safe even if a row was written otherwise.
func redactedText(m *smsgw.Message) string {
	if m.Direction != smsgw.DirIn {
		return m.Text
	}
	switch m.Keyword {
	case "PIN_REPLY", "PIN_WRONG_CODE":
		return "****"
	case keywords.KeywordPIN:
		if m.Text != "PIN ****" && m.Text != "PIN **** ****" {
			return "PIN ****"
		}
	}
	return m.Text
}

func (r *SMSRecord) cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Time), r.Direction, r.Channel, r.ShortCode, r.MSISDN, r.Keyword, r.Text,
		r.Status, r.DLRState, r.DLRError, strconv.Itoa(r.Attempts), r.LastError, idOrEmpty(r.SessionID),
		idOrEmpty(r.TransferID), strings.Join(r.SMSCIDs, " ")}
}

// TxURL is the page of the transaction the message belongs to: its
// session, else its transfer, else the message itself.
func (r *SMSRecord) TxURL() string { return txURL(r.ID, r.SessionID, r.TransferID) }

func txURL(msgID, sessionID, transferID int64) string {
	switch {
	case sessionID != 0:
		return "/console/tx/" + itoa(sessionID)
	case transferID != 0:
		return "/console/transfers/" + itoa(transferID)
	default:
		return "/console/sms/" + itoa(msgID)
	}
}

// Sessions.

type sessionListing struct {
	f   smsgw.SessionFilter
	loc *time.Location
}

func parseSessions(q url.Values, e env) (listing, error) {
	var (
		l   = &sessionListing{loc: e.loc}
		err error
	)
	if l.f.MSISDN, err = parseMSISDN("msisdn", q.Get("msisdn")); err != nil {
		return nil, err
	}
	state := strings.ToLower(strings.TrimSpace(q.Get("state")))
	if state == "open" {
		state = string(smsgw.StateAwaitingPIN)
	}
	s, err := oneOf("state", state, states...)
	if err != nil {
		return nil, err
	}
	l.f.State = smsgw.SessionState(s)
	if l.f.Since, l.f.Until, err = parseRange(q, e); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *sessionListing) columns() []string {
	return []string{"id", "created", "msisdn", "account", "amount", "state", "attempts", "channel",
		"request_message_id", "pin_message_id", "transfer_id", "expires", "resolved"}
}

func (l *sessionListing) fetch(tx report.Source, limit, offset int) ([]record, error) {
	f := l.f
	f.Limit, f.Offset = limit, offset
	ss, err := tx.Sessions(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(ss))
	for i := range ss {
		out[i] = newSessionRecord(&ss[i], l.loc)
	}
	return out, nil
}

// SessionRecord is one PIN session (one top-up transaction).
type SessionRecord struct {
	ID             int64      `json:"id"`
	Created        time.Time  `json:"created"`
	MSISDN         string     `json:"msisdn"`
	Account        string     `json:"account"`
	Amount         int64      `json:"amount"`
	State          string     `json:"state"`
	Attempts       int        `json:"attempts"`
	Channel        string     `json:"channel"`
	RequestMessage int64      `json:"request_message_id"`
	PINMessage     int64      `json:"pin_message_id"`
	TransferID     int64      `json:"transfer_id"`
	Expires        time.Time  `json:"expires"`
	Resolved       *time.Time `json:"resolved"`
}

func newSessionRecord(s *smsgw.Session, loc *time.Location) *SessionRecord {
	r := &SessionRecord{
		ID: s.ID, Created: s.CreatedAt.In(loc), MSISDN: string(s.MSISDN), Account: string(s.Account),
		Amount: int64(s.Amount), State: string(s.State), Attempts: s.Attempts, Channel: s.Channel,
		RequestMessage: s.RequestMessage, PINMessage: s.PINMessage, TransferID: s.TransferID, Expires: s.ExpiresAt.In(loc),
	}
	if s.ResolvedAt != nil {
		t := s.ResolvedAt.In(loc)
		r.Resolved = &t
	}
	return r
}

func (r *SessionRecord) cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Created), r.MSISDN, r.Account, itoa(r.Amount), r.State, strconv.Itoa(r.Attempts),
		r.Channel, idOrEmpty(r.RequestMessage), idOrEmpty(r.PINMessage), idOrEmpty(r.TransferID), fmtTime(r.Expires),
		fmtTimePtr(r.Resolved)}
}

// Customers.

type customerListing struct {
	f   smsgw.CustomerFilter
	now time.Time
	loc *time.Location
}

func parseCustomers(q url.Values, e env) (listing, error) {
	l := &customerListing{now: e.now, loc: e.loc}
	var err error
	if l.f.MSISDNPrefix, err = parseMSISDNPrefix("msisdn", q.Get("msisdn")); err != nil {
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(q.Get("locked"))) {
	case "", "0", "false", "no", "off":
	case "1", "true", "yes", "on":
		l.f.LockedAt = e.now
	default:
		return nil, filterErr("locked", "want true or false, got %q", q.Get("locked"))
	}
	return l, nil
}

func (l *customerListing) columns() []string {
	return []string{"msisdn", "name", "account", "pin_failures", "locked", "locked_until", "created", "updated"}
}

func (l *customerListing) fetch(tx report.Source, limit, offset int) ([]record, error) {
	f := l.f
	f.Limit, f.Offset = limit, offset
	cs, err := tx.CustomerList(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(cs))
	for i := range cs {
		out[i] = newCustomerRecord(&cs[i], l.now, l.loc)
	}
	return out, nil
}

// CustomerRecord is a registered payer. It never carries PIN material.
type CustomerRecord struct {
	MSISDN      string     `json:"msisdn"`
	Name        string     `json:"name"`
	Account     string     `json:"account"`
	PINFailures int        `json:"pin_failures"`
	Locked      bool       `json:"locked"`
	LockedUntil *time.Time `json:"locked_until"`
	Created     time.Time  `json:"created"`
	Updated     time.Time  `json:"updated"`
}

func newCustomerRecord(c *smsgw.Customer, now time.Time, loc *time.Location) *CustomerRecord {
	r := &CustomerRecord{
		MSISDN: string(c.MSISDN), Name: c.Name, Account: string(c.Account), PINFailures: c.PINFailures,
		Locked: c.Locked(now), Created: c.CreatedAt.In(loc), Updated: c.UpdatedAt.In(loc),
	}
	if c.LockedUntil != nil {
		t := c.LockedUntil.In(loc)
		r.LockedUntil = &t
	}
	return r
}

func (r *CustomerRecord) cells() []string {
	return []string{r.MSISDN, r.Name, r.Account, strconv.Itoa(r.PINFailures), strconv.FormatBool(r.Locked),
		fmtTimePtr(r.LockedUntil), fmtTime(r.Created), fmtTime(r.Updated)}
}

// LockedForever reports a lock that lasts until an admin lifts it.
func (r *CustomerRecord) LockedForever() bool {
	return r.LockedUntil != nil && r.LockedUntil.Year() >= 2200
}

// Ledger.

type ledgerListing struct {
	f   smsgw.LedgerFilter
	loc *time.Location
}

// parseAccount reads a ledger account: an account id such as
// "settlement:bank" or "wallet:628110000002", or an i-pay account number
// meaning its wallet.
func parseAccount(field, s string) (domain.AccountID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if kind, rest, ok := strings.Cut(s, ":"); ok {
		switch kind {
		case domain.KindWallet:
			m, err := parseMSISDN(field, rest)
			if err != nil {
				return "", err
			}
			return domain.WalletID(m), nil
		case domain.KindSettlement, domain.KindDeposit:
			if rest == "" {
				return "", filterErr(field, "account %q has no name", s)
			}
			return domain.AccountID(s), nil
		}
		return "", filterErr(field, "unknown account kind %q (want wallet, settlement or deposit)", kind)
	}
	m, err := parseMSISDN(field, s)
	if err != nil {
		return "", filterErr(field, "want an account id such as settlement:bank or an i-pay account number, got %q", s)
	}
	return domain.WalletID(m), nil
}

func parseLedger(q url.Values, e env) (listing, error) {
	l := &ledgerListing{loc: e.loc}
	var err error
	if l.f.Account, err = parseAccount("account", q.Get("account")); err != nil {
		return nil, err
	}
	if l.f.Account == "" {
		return nil, filterErr("account", "required")
	}
	if l.f.Since, l.f.Until, err = parseRange(q, e); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *ledgerListing) columns() []string {
	return []string{"entry_id", "time", "account", "transfer_id", "kind", "reference", "counterparty", "amount",
		"balance_after", "running_sum", "session_id"}
}

func (l *ledgerListing) fetch(tx report.Source, limit, offset int) ([]record, error) {
	f := l.f
	f.Limit, f.Offset = limit, offset
	ls, err := tx.Ledger(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(ls))
	for i, x := range ls {
		out[i] = &LedgerRecord{
			EntryID: x.ID, Time: x.CreatedAt.In(l.loc), Account: string(x.Account), TransferID: x.TransferID,
			Kind: x.Kind, Reference: x.Reference, Counterparty: string(x.Counterparty), Amount: int64(x.Amount),
			BalanceAfter: int64(x.BalanceAfter), RunningSum: int64(x.RunningSum), SessionID: x.SessionID,
		}
	}
	return out, nil
}

// LedgerRecord is one ledger entry of an account with its transfer. Amount
// is signed (negative debit); BalanceAfter is the balance the entry left,
// RunningSum the same recomputed from the ledger.
type LedgerRecord struct {
	EntryID      int64     `json:"entry_id"`
	Time         time.Time `json:"time"`
	Account      string    `json:"account"`
	TransferID   int64     `json:"transfer_id"`
	Kind         string    `json:"kind"`
	Reference    string    `json:"reference"`
	Counterparty string    `json:"counterparty"`
	Amount       int64     `json:"amount"`
	BalanceAfter int64     `json:"balance_after"`
	RunningSum   int64     `json:"running_sum"`
	SessionID    int64     `json:"session_id"`
}

func (r *LedgerRecord) cells() []string {
	return []string{itoa(r.EntryID), fmtTime(r.Time), r.Account, itoa(r.TransferID), r.Kind, r.Reference,
		r.Counterparty, itoa(r.Amount), itoa(r.BalanceAfter), itoa(r.RunningSum), idOrEmpty(r.SessionID)}
}

// Consistent reports whether the stored balance matches the recomputed sum.
func (r *LedgerRecord) Consistent() bool { return r.BalanceAfter == r.RunningSum }

// TxURL is the page of the entry's transaction.
func (r *LedgerRecord) TxURL() string {
	if r.SessionID != 0 {
		return "/console/tx/" + itoa(r.SessionID)
	}
	return "/console/transfers/" + itoa(r.TransferID)
}

// Audit trail.

type auditListing struct {
	f   smsgw.AuditFilter
	loc *time.Location
}

func parseAudit(q url.Values, e env) (listing, error) {
	l := &auditListing{loc: e.loc}
	var err error
	l.f.Actor = strings.TrimSpace(q.Get("actor"))
	if l.f.Action, err = oneOf("action", q.Get("action"), auditActions...); err != nil {
		return nil, err
	}
	l.f.Target = strings.TrimSpace(q.Get("target"))
	if m, err := keywords.NormalizeMSISDN(l.f.Target); err == nil {
		l.f.Target = string(m) // customers are recorded by canonical MSISDN
	}
	if l.f.Since, l.f.Until, err = parseRange(q, e); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *auditListing) columns() []string {
	return []string{"id", "time", "actor", "role", "action", "target", "detail", "remote"}
}

func (l *auditListing) fetch(tx report.Source, limit, offset int) ([]record, error) {
	f := l.f
	f.Limit, f.Offset = limit, offset
	es, err := tx.AuditTrail(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(es))
	for i, x := range es {
		out[i] = &AuditRecord{ID: x.ID, Time: x.At.In(l.loc), Actor: x.Actor, Role: x.Role, Action: x.Action,
			Target: x.Target, Detail: x.Detail, Remote: x.Remote}
	}
	return out, nil
}

// AuditRecord is one entry of the audit trail.
type AuditRecord struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
	Remote string    `json:"remote"`
}

func (r *AuditRecord) cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Time), r.Actor, r.Role, r.Action, r.Target, r.Detail, r.Remote}
}

// Formatting helpers shared by records and templates.

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
