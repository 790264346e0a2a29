package report

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

// SMS log.

// SMSQuery filters the SMS log (view "sms"). Zero fields do not filter.
type SMSQuery struct {
	MSISDN    domain.MSISDN
	ShortCode string // digits
	Keyword   string // an MO's keyword or marker, upper case
	Template  string // an MT's reply template name, lower case
	Direction string // smsgw.DirIn or smsgw.DirOut
	Status    string // a smsgw.Msg* status
	Since     time.Time
	Until     time.Time
	Session   int64 // messages of this PIN session
	Transfer  int64 // messages of this transfer
}

// ParseSMSQuery reads the SMS log filters (Filters(ViewSMS)).
func ParseSMSQuery(v Values, e Env) (*SMSQuery, error) {
	var (
		q   = &SMSQuery{}
		err error
	)
	e = e.norm()
	if q.MSISDN, err = parseMSISDN("msisdn", v["msisdn"]); err != nil {
		return nil, err
	}
	if sc := strings.TrimSpace(v["short_code"]); sc != "" {
		if strings.Trim(sc, "0123456789") != "" {
			return nil, filterErr("short_code", "want digits, got %q", sc)
		}
		q.ShortCode = sc
	}
	q.Keyword = strings.ToUpper(strings.TrimSpace(v["keyword"]))
	q.Template = strings.ToLower(strings.TrimSpace(v["template"]))
	if slices.Contains(smsgw.ReplyNames(), strings.ToLower(q.Keyword)) && q.Template == "" {
		// A reply name given as a keyword (the SMS log kept both in one
		// column before): it names the template.
		q.Keyword, q.Template = "", strings.ToLower(q.Keyword)
	}
	dir := strings.ToLower(strings.TrimSpace(v["direction"]))
	switch dir {
	case "mo":
		dir = smsgw.DirIn
	case "mt":
		dir = smsgw.DirOut
	}
	if q.Direction, err = oneOf("direction", dir, directions...); err != nil {
		return nil, err
	}
	if q.Status, err = oneOf("status", strings.ToLower(v["status"]), statuses...); err != nil {
		return nil, err
	}
	if q.Since, q.Until, err = parseRange(v, e); err != nil {
		return nil, err
	}
	if q.Session, err = parseID("session", v["session"]); err != nil {
		return nil, err
	}
	if q.Transfer, err = parseID("transfer", v["transfer"]); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewSMS.
func (q *SMSQuery) View() string { return ViewSMS }

// Columns names the cells of an SMSRecord.
func (q *SMSQuery) Columns() []string {
	return []string{"id", "time", "direction", "channel", "short_code", "msisdn", "keyword", "template", "text", "status",
		"dlr_state", "dlr_error", "attempts", "last_error", "session_id", "transfer_id", "smsc_ids"}
}

// Fetch reads a page of *SMSRecord, newest first.
func (q *SMSQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	ms, err := src.Messages(smsgw.MessageFilter{
		MSISDN: q.MSISDN, ShortCode: q.ShortCode, Keyword: q.Keyword, Template: q.Template, Direction: q.Direction, Status: q.Status,
		Since: q.Since, Until: q.Until, SessionID: q.Session, TransferID: q.Transfer, Limit: limit, Offset: offset,
	})
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(ms))
	for i := range ms {
		out[i] = NewSMSRecord(&ms[i], e.Location)
	}
	return out, nil
}

// SMSRecord is one SMS log row as operators see and export it. Text is
// the operator-visible text: PIN-bearing messages are redacted.
type SMSRecord struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Direction  string    `json:"direction"`
	Channel    string    `json:"channel"`
	ShortCode  string    `json:"short_code"`
	MSISDN     string    `json:"msisdn"`
	Keyword    string    `json:"keyword"`
	Template   string    `json:"template"`
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

// NewSMSRecord converts m with its times in loc.
func NewSMSRecord(m *smsgw.Message, loc *time.Location) *SMSRecord {
	ids := m.SMSCIDs
	if ids == nil {
		ids = []string{}
	}
	return &SMSRecord{
		ID: m.ID, Time: m.CreatedAt.In(loc), Direction: m.Direction, Channel: m.Channel, ShortCode: m.ShortCode,
		MSISDN: string(m.MSISDN), Keyword: m.Keyword, Template: m.Template, Text: redactedText(m), Status: m.Status,
		DLRState: m.DLRState, DLRError: m.DLRError, Attempts: m.Attempts, LastError: m.LastError,
		SessionID: m.SessionID, TransferID: m.TransferID, SMSCIDs: ids,
	}
}

// redactedText returns the text of m that an operator may see. The
// gateway stores PIN-bearing texts redacted already; this keeps the
// reports safe even if a row was written otherwise.
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

// Cells gives the CSV and table values in column order.
func (r *SMSRecord) Cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Time), r.Direction, r.Channel, r.ShortCode, r.MSISDN, r.Keyword, r.Template, r.Text,
		r.Status, r.DLRState, r.DLRError, strconv.Itoa(r.Attempts), r.LastError, idOrEmpty(r.SessionID),
		idOrEmpty(r.TransferID), strings.Join(r.SMSCIDs, " ")}
}

// Sessions.

// SessionQuery filters the PIN sessions (view "sessions").
type SessionQuery struct {
	MSISDN domain.MSISDN
	State  smsgw.SessionState
	Since  time.Time
	Until  time.Time
}

// ParseSessionQuery reads the session filters (Filters(ViewSessions)).
func ParseSessionQuery(v Values, e Env) (*SessionQuery, error) {
	var (
		q   = &SessionQuery{}
		err error
	)
	e = e.norm()
	if q.MSISDN, err = parseMSISDN("msisdn", v["msisdn"]); err != nil {
		return nil, err
	}
	state := strings.ToLower(strings.TrimSpace(v["state"]))
	if state == "open" {
		state = string(smsgw.StateAwaitingPIN)
	}
	s, err := oneOf("state", state, states...)
	if err != nil {
		return nil, err
	}
	q.State = smsgw.SessionState(s)
	if q.Since, q.Until, err = parseRange(v, e); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewSessions.
func (q *SessionQuery) View() string { return ViewSessions }

// Columns names the cells of a SessionRecord.
func (q *SessionQuery) Columns() []string {
	return []string{"id", "created", "msisdn", "account", "amount", "state", "attempts", "channel",
		"request_message_id", "pin_message_id", "transfer_id", "expires", "resolved"}
}

// Fetch reads a page of *SessionRecord, newest first.
func (q *SessionQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	ss, err := src.Sessions(smsgw.SessionFilter{MSISDN: q.MSISDN, State: q.State, Since: q.Since, Until: q.Until,
		Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(ss))
	for i := range ss {
		out[i] = NewSessionRecord(&ss[i], e.Location)
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

// NewSessionRecord converts s with its times in loc.
func NewSessionRecord(s *smsgw.Session, loc *time.Location) *SessionRecord {
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

// Cells gives the CSV and table values in column order.
func (r *SessionRecord) Cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Created), r.MSISDN, r.Account, itoa(r.Amount), r.State, strconv.Itoa(r.Attempts),
		r.Channel, idOrEmpty(r.RequestMessage), idOrEmpty(r.PINMessage), idOrEmpty(r.TransferID), fmtTime(r.Expires),
		fmtTimePtr(r.Resolved)}
}

// Customers.

// CustomerQuery filters the registered payers (view "customers"), listed
// by number.
type CustomerQuery struct {
	MSISDNPrefix string // the start of a canonical MSISDN
	Locked       bool   // only those locked at Env.Now
}

// ParseCustomerQuery reads the customer filters (Filters(ViewCustomers)).
func ParseCustomerQuery(v Values) (*CustomerQuery, error) {
	q := &CustomerQuery{}
	var err error
	if q.MSISDNPrefix, err = parseMSISDNPrefix("msisdn", v["msisdn"]); err != nil {
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(v["locked"])) {
	case "", "0", "false", "no", "off":
	case "1", "true", "yes", "on":
		q.Locked = true
	default:
		return nil, filterErr("locked", "want true or false, got %q", v["locked"])
	}
	return q, nil
}

// View is ViewCustomers.
func (q *CustomerQuery) View() string { return ViewCustomers }

// Columns names the cells of a CustomerRecord.
func (q *CustomerQuery) Columns() []string {
	return []string{"msisdn", "name", "account", "pin_failures", "locked", "locked_until", "created", "updated"}
}

// Fetch reads a page of *CustomerRecord by number.
func (q *CustomerQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	f := smsgw.CustomerFilter{MSISDNPrefix: q.MSISDNPrefix, Limit: limit, Offset: offset}
	if q.Locked {
		f.LockedAt = e.Now
	}
	cs, err := src.CustomerList(f)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(cs))
	for i := range cs {
		out[i] = NewCustomerRecord(&cs[i], e.Now, e.Location)
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

// NewCustomerRecord converts c, locked or not at now, with its times in
// loc.
func NewCustomerRecord(c *smsgw.Customer, now time.Time, loc *time.Location) *CustomerRecord {
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

// Cells gives the CSV and table values in column order.
func (r *CustomerRecord) Cells() []string {
	return []string{r.MSISDN, r.Name, r.Account, strconv.Itoa(r.PINFailures), strconv.FormatBool(r.Locked),
		fmtTimePtr(r.LockedUntil), fmtTime(r.Created), fmtTime(r.Updated)}
}

// LockedForever reports a lock that lasts until an admin lifts it.
func (r *CustomerRecord) LockedForever() bool {
	return r.LockedUntil != nil && r.LockedUntil.Year() >= 2200
}

// Ledger.

// LedgerQuery selects the ledger lines of one account (view "ledger").
type LedgerQuery struct {
	Account domain.AccountID // required
	Since   time.Time
	Until   time.Time
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

// ParseLedgerQuery reads the ledger filters (Filters(ViewLedger)); the
// account is required.
func ParseLedgerQuery(v Values, e Env) (*LedgerQuery, error) {
	q := &LedgerQuery{}
	var err error
	e = e.norm()
	if q.Account, err = parseAccount("account", v["account"]); err != nil {
		return nil, err
	}
	if q.Account == "" {
		return nil, filterErr("account", "required")
	}
	if q.Since, q.Until, err = parseRange(v, e); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewLedger.
func (q *LedgerQuery) View() string { return ViewLedger }

// Columns names the cells of a LedgerRecord.
func (q *LedgerQuery) Columns() []string {
	return []string{"entry_id", "time", "account", "transfer_id", "kind", "reference", "counterparty", "amount",
		"balance_after", "running_sum", "session_id"}
}

// Fetch reads a page of *LedgerRecord, newest first.
func (q *LedgerQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	ls, err := src.Ledger(smsgw.LedgerFilter{Account: q.Account, Since: q.Since, Until: q.Until, Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(ls))
	for i, x := range ls {
		out[i] = &LedgerRecord{
			EntryID: x.ID, Time: x.CreatedAt.In(e.Location), Account: string(x.Account), TransferID: x.TransferID,
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

// Cells gives the CSV and table values in column order.
func (r *LedgerRecord) Cells() []string {
	return []string{itoa(r.EntryID), fmtTime(r.Time), r.Account, itoa(r.TransferID), r.Kind, r.Reference,
		r.Counterparty, itoa(r.Amount), itoa(r.BalanceAfter), itoa(r.RunningSum), idOrEmpty(r.SessionID)}
}

// Consistent reports whether the stored balance matches the recomputed sum.
func (r *LedgerRecord) Consistent() bool { return r.BalanceAfter == r.RunningSum }

// Audit trail.

// AuditQuery filters the audit trail (view "audit").
type AuditQuery struct {
	Actor  string
	Action string // one of the recorded actions
	Target string // a customer by canonical MSISDN, or as recorded
	Since  time.Time
	Until  time.Time
}

// ParseAuditQuery reads the audit trail filters (Filters(ViewAudit)).
func ParseAuditQuery(v Values, e Env) (*AuditQuery, error) {
	q := &AuditQuery{}
	var err error
	e = e.norm()
	q.Actor = strings.TrimSpace(v["actor"])
	if q.Action, err = oneOf("action", v["action"], auditActions...); err != nil {
		return nil, err
	}
	q.Target = strings.TrimSpace(v["target"])
	if m, err := keywords.NormalizeMSISDN(q.Target); err == nil {
		q.Target = string(m) // customers are recorded by canonical MSISDN
	}
	if q.Since, q.Until, err = parseRange(v, e); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewAudit.
func (q *AuditQuery) View() string { return ViewAudit }

// Columns names the cells of an AuditRecord.
func (q *AuditQuery) Columns() []string {
	return []string{"id", "time", "actor", "role", "action", "target", "detail", "remote"}
}

// Fetch reads a page of *AuditRecord, newest first.
func (q *AuditQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	es, err := src.AuditTrail(smsgw.AuditFilter{Actor: q.Actor, Action: q.Action, Target: q.Target, Since: q.Since,
		Until: q.Until, Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(es))
	for i := range es {
		out[i] = NewAuditRecord(&es[i], e.Location)
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

// NewAuditRecord converts x with its time in loc.
func NewAuditRecord(x *smsgw.AuditEntry, loc *time.Location) *AuditRecord {
	return &AuditRecord{ID: x.ID, Time: x.At.In(loc), Actor: x.Actor, Role: x.Role, Action: x.Action,
		Target: x.Target, Detail: x.Detail, Remote: x.Remote}
}

// Cells gives the CSV and table values in column order.
func (r *AuditRecord) Cells() []string {
	return []string{itoa(r.ID), fmtTime(r.Time), r.Actor, r.Role, r.Action, r.Target, r.Detail, r.Remote}
}
