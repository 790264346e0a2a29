package smsgw

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// flow carries the transaction-scoped state of processing one MO.
type flow struct {
	g       *Gateway
	r       *Rules
	tx      Tx
	in      InboundMO
	now     time.Time
	keyword string
	session int64
	xfer    int64

	// Committed outcomes, reported to the Observer after commit.
	outcome    SessionState
	pinFailure bool
	credited   domain.Amount
	// status overrides the processed status of the MO (MsgRateLimited,
	// MsgRefused) when an abuse limit refused it, for reason refused.
	status  string
	refused string
	// said, when set, receives the replies instead of the outbox: the
	// MO is a USSD input answered on the screen.
	said *[]capturedReply
}

// report updates counters and the Observer once a flow has committed.
func (g *Gateway) report(f *flow) {
	g.stats.MOProcessed.Add(1)
	g.obs.MO(f.in.ShortCode, f.keyword)
	if f.pinFailure {
		g.stats.WrongPIN.Add(1)
		g.obs.PINFailure()
	}
	switch f.outcome {
	case "":
	case StateConfirmed:
		g.stats.Credited.Add(1)
		g.stats.CreditedAmount.Add(int64(f.credited))
		g.obs.Credit(TransferSMSTopUp, f.credited)
	case StateLocked:
		g.stats.Locked.Add(1)
	case StateExpired:
		g.stats.Expired.Add(1)
	case StateCancelled:
		g.stats.Cancelled.Add(1)
	}
	if f.outcome != "" {
		g.obs.Session(f.outcome)
	}
	if ao, ok := g.obs.(AbuseObserver); ok && f.refused != "" {
		ao.Refused(f.refused)
	}
}

// reply enqueues a reply to the sender of the MO being processed; for a
// USSD screen it records the reply instead, and sends the result of a
// top-up by SMS as well.
func (f *flow) reply(from, name string, d ReplyData) error {
	if f.said != nil {
		*f.said = append(*f.said, capturedReply{from: from, name: name, data: d})
		if name != ReplySuccess {
			return nil
		}
		return f.g.enqueue(f.tx, f.r, from, f.in.MSISDN, Address{}, f.in.Route, ChannelSMS, "", name, d, f.session, f.xfer)
	}
	return f.g.enqueue(f.tx, f.r, from, f.in.MSISDN, f.in.Addr, f.in.Route, f.in.Channel, f.in.USSDSession, name, d, f.session, f.xfer)
}

// enqueue renders reply name and queues it to the number to: through route
// (the route of the MO it answers, "" for none) when the routing table
// knows it, else through the number's route (Gateway.routeOf).
func (g *Gateway) enqueue(tx Tx, r *Rules, from string, to domain.MSISDN, addr Address, route, channel, ussd, name string, d ReplyData, session, xfer int64) error {
	m, err := g.mt(tx, r, from, to, addr, route, channel, ussd, name, d, session, xfer)
	if err != nil {
		return err
	}
	return tx.EnqueueMT(m)
}

// mt renders reply name into the MT enqueue queues.
func (g *Gateway) mt(tx Tx, r *Rules, from string, to domain.MSISDN, addr Address, route, channel, ussd, name string, d ReplyData, session, xfer int64) (*Message, error) {
	text, err := r.render(name, d)
	if err != nil {
		return nil, err
	}
	if route, err = g.routeOf(tx, to, route); err != nil {
		return nil, err
	}
	if channel == "" {
		channel = ChannelSMS
	}
	return &Message{
		Direction: DirOut, Channel: channel, ShortCode: from, MSISDN: to, Addr: addr, Text: text,
		Template: name, Status: MsgQueued, SessionID: session, TransferID: xfer,
		USSDSession: ussd, Route: route, NextAttempt: g.now(), CreatedAt: g.now(),
	}, nil
}

func (f *flow) process() error {
	in := f.in
	if _, err := keywords.NormalizeMSISDN(string(in.MSISDN)); err != nil {
		// Alphanumeric or malformed sender: nobody to answer.
		f.keyword = "INVALID_SENDER"
		return nil
	}
	if limited, err := f.rateLimited(); limited || err != nil {
		return err
	}
	req := f.request()
	switch in.ShortCode {
	case f.r.PINCode:
		if req.Kind == RequestPINReply {
			return f.pinReply()
		}
	case f.r.RequestCode:
	default:
		f.keyword = "WRONG_SHORT_CODE"
		return nil
	}
	switch req.Kind {
	case RequestPay:
		return f.pay(req.Account, req.Amount)
	case RequestBalance:
		return f.balance()
	case RequestHistory:
		return f.history()
	case RequestCancel:
		return f.cancel()
	case RequestChangePIN:
		return f.changePIN()
	case RequestPINMisdirected:
		return f.reply(f.r.RequestCode, ReplyPINWrongCode, ReplyData{})
	case RequestInvalid:
		return f.invalid(req)
	default:
		return f.reply(f.r.RequestCode, ReplyHelp, ReplyData{})
	}
}

// request returns what the MO asks for, as classified when it was stored.
// An MO stored before requests were kept (or with one that cannot be read)
// is classified now, from its stored text.
func (f *flow) request() Request {
	if f.in.Request != "" {
		if req, err := DecodeRequest(f.in.Request); err == nil {
			return req
		}
		f.g.log.Warn("stored request unreadable; classifying the stored text", "sms_id", f.in.ID)
	}
	return f.r.Classify(f.in.ShortCode, f.in.Text).Request
}

// invalid answers a text that is no command.
func (f *flow) invalid(req Request) error {
	d := ReplyData{Allowed: f.allowed()}
	switch req.Error {
	case InvalidUnknownKeyword, InvalidEmpty:
		f.keyword = "UNKNOWN"
		return f.reply(f.r.RequestCode, ReplyUnknownKeyword, d)
	case InvalidBadAmount:
		return f.reply(f.r.RequestCode, ReplyBadAmount, d)
	case InvalidAmountNotAllowed:
		d.Amount = req.Amount.Grouped()
		return f.reply(f.r.RequestCode, ReplyAmountNotAllow, d)
	default:
		return f.reply(f.r.RequestCode, ReplyBadFormat, d)
	}
}

func (f *flow) allowed() string {
	rules := f.r.Keywords.Rules()
	if len(rules.Allowed) > 0 {
		return domain.FormatAmounts(rules.Allowed)
	}
	return fmt.Sprintf("Rp%s s/d Rp%s", rules.Min.Grouped(), rules.Max.Grouped())
}

// customer loads the sender; ok is false (and a reply enqueued) when the
// sender is not registered or is locked. An unregistered sender of a top-up
// gets the not_registered reply ("IM2PAY GAGAL: ..."), of any other keyword
// not_registered_other, which names the keyword.
func (f *flow) customer() (*Customer, bool, error) {
	c, err := f.tx.Customer(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		if f.keyword == keywords.KeywordPay {
			return nil, false, f.reply(f.r.RequestCode, ReplyNotRegistered, ReplyData{})
		}
		// Not a failed top-up: say what the number cannot do yet.
		return nil, false, f.reply(f.r.RequestCode, ReplyNotRegisteredKW, ReplyData{Keyword: f.keyword})
	} else if err != nil {
		return nil, false, err
	}
	if c.Locked(f.now) {
		return nil, false, f.reply(f.r.RequestCode, ReplyStillLocked, ReplyData{Until: f.r.customerTime(*c.LockedUntil)})
	}
	return c, true, nil
}

func (f *flow) pay(account domain.MSISDN, amount domain.Amount) error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	d := ReplyData{Account: account.Local(), Amount: amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	if refused, err := f.tooManyAccounts(c, account, d); refused || err != nil {
		return err
	}
	if _, err := f.tx.Account(domain.WalletID(account)); ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyUnknownAccount, d)
	} else if err != nil {
		return err
	}
	if open, err := f.tx.OpenSession(c.MSISDN); err == nil {
		f.session = open.ID
		d.Account, d.Amount = open.Account.Local(), open.Amount.Grouped()
		return f.reply(f.r.RequestCode, ReplyBusy, d)
	} else if ErrorCode(err) != ENotFound {
		return err
	}
	s := &Session{
		MSISDN: c.MSISDN, Account: account, Amount: amount, State: StateAwaitingPIN,
		Channel: f.in.Channel, RequestMessage: f.in.ID, CreatedAt: f.now, ExpiresAt: f.now.Add(f.r.SessionTTL),
	}
	if err := f.tx.CreateSession(s); err != nil {
		return err
	}
	f.session = s.ID
	return f.reply(f.r.PINCode, ReplyPINPrompt, d)
}

func (f *flow) pinReply() error {
	f.keyword = KeywordPINReply
	s, err := f.tx.OpenSession(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.PINCode, ReplyNoSession, ReplyData{})
	} else if err != nil {
		return err
	}
	f.session = s.ID
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	if !f.now.Before(s.ExpiresAt) {
		// The expiry job has not run yet; the answer is the same.
		return f.expire(s)
	}
	if f.in.Secret == nil {
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	sec, err := parseSecret(f.in.Secret)
	if err != nil || sec.kind != secretPIN {
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	c, err := f.tx.Customer(f.in.MSISDN)
	if err != nil {
		return err
	}
	if c.Locked(f.now) {
		return f.reply(f.r.PINCode, ReplyStillLocked, ReplyData{Until: f.r.customerTime(*c.LockedUntil)})
	}
	if sec.saltChanged(c.PINSalt) {
		// The PIN was changed or reset after this reply was stored: it
		// cannot be checked, and it is not counted as wrong.
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	if !Equal(sec.check, c.PINHash) {
		return f.wrongPIN(c, s, d)
	}
	t := &Transfer{
		IdempotencyKey: "session:" + strconv.FormatInt(s.ID, 10),
		RequestHash:    requestHash("sms_topup", string(s.Account), strconv.FormatInt(int64(s.Amount), 10)),
		Kind:           TransferSMSTopUp,
		From:           f.g.settlement,
		To:             domain.WalletID(s.Account),
		Amount:         s.Amount,
		SessionID:      s.ID,
		MessageID:      s.RequestMessage,
		Reference:      "SMS" + strconv.FormatInt(s.ID, 10),
	}
	if err := f.tx.Transfer(t); err != nil {
		if ErrorCode(err) == EFunds {
			return f.resolve(s, StateFailed, ReplyFailed, d)
		}
		return err
	}
	f.xfer = t.ID
	s.TransferID = t.ID
	if c.PINFailures != 0 {
		// A right PIN clears the count of wrong ones; with none to
		// clear there is nothing to write.
		c.PINFailures = 0
		c.UpdatedAt = f.now
		if err := f.tx.UpdateCustomer(c); err != nil {
			return err
		}
	}
	d.Ref = t.Reference
	f.credited = s.Amount
	return f.resolve(s, StateConfirmed, ReplySuccess, d)
}

func (f *flow) wrongPIN(c *Customer, s *Session, d ReplyData) error {
	f.pinFailure = true
	c.PINFailures++
	c.UpdatedAt = f.now
	s.Attempts++
	if c.PINFailures >= f.r.MaxAttempts || s.Attempts >= f.r.MaxAttempts {
		until := f.now.Add(f.r.LockDuration)
		c.LockedUntil = &until
		if err := f.tx.UpdateCustomer(c); err != nil {
			return err
		}
		d.Until, d.Attempts = f.r.customerTime(until), c.PINFailures
		return f.resolve(s, StateLocked, ReplyLocked, d)
	}
	if err := f.tx.UpdateCustomer(c); err != nil {
		return err
	}
	if err := f.tx.SetSessionAttempts(s.ID, s.Attempts); err != nil {
		return err
	}
	d.Left = f.r.MaxAttempts - c.PINFailures
	return f.reply(f.r.PINCode, ReplyWrongPIN, d)
}

// resolve moves s to a final state and replies from the PIN short code.
func (f *flow) resolve(s *Session, state SessionState, reply string, d ReplyData) error {
	now := f.now
	s.State, s.ResolvedAt = state, &now
	if f.in.ShortCode == f.r.PINCode {
		s.PINMessage = f.in.ID
	}
	if err := f.tx.ResolveSession(s); err != nil {
		return err
	}
	if err := f.g.sessionResolved(f.tx, s, now); err != nil {
		return err
	}
	f.outcome = state
	from := f.r.PINCode
	if state == StateCancelled {
		from = f.r.RequestCode
	}
	return f.reply(from, reply, d)
}

func (f *flow) expire(s *Session) error {
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	return f.resolve(s, StateExpired, ReplyExpired, d)
}

func (f *flow) cancel() error {
	s, err := f.tx.OpenSession(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyNothingToCancel, ReplyData{})
	} else if err != nil {
		return err
	}
	f.session = s.ID
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped()}
	return f.resolve(s, StateCancelled, ReplyCancelled, d)
}

func (f *flow) balance() error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	a, err := f.tx.Account(domain.WalletID(c.Account))
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyUnknownAccount, ReplyData{Account: c.Account.Local()})
	} else if err != nil {
		return err
	}
	return f.reply(f.r.RequestCode, ReplyBalance, ReplyData{Account: c.Account.Local(), Balance: a.Balance.Grouped()})
}

func (f *flow) history() error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	ts, err := f.tx.Transfers(domain.WalletID(c.Account), 5)
	if err != nil {
		return err
	}
	d := ReplyData{Account: c.Account.Local()}
	if len(ts) == 0 {
		return f.reply(f.r.RequestCode, ReplyHistoryEmpty, d)
	}
	for _, t := range ts {
		sign := "+"
		if t.From == domain.WalletID(c.Account) {
			sign = "-"
		}
		d.History = append(d.History, HistoryLine{Time: t.CreatedAt.In(f.r.Location).Format("02/01 15:04"), Sign: sign, Amount: t.Amount.Grouped(), Ref: t.Reference})
	}
	return f.reply(f.r.RequestCode, ReplyHistory, d)
}

func (f *flow) changePIN() error {
	f.keyword = "PIN"
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	sec, err := parseSecret(f.in.Secret)
	if err != nil || sec.kind != secretChangePIN {
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	c.UpdatedAt = f.now
	if sec.saltChanged(c.PINSalt) {
		// Another change or a reset came first: not counted as wrong.
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	if !Equal(sec.check, c.PINHash) {
		c.PINFailures++
		f.pinFailure = true
		if c.PINFailures >= f.r.MaxAttempts {
			until := f.now.Add(f.r.LockDuration)
			c.LockedUntil = &until
			if err := f.tx.UpdateCustomer(c); err != nil {
				return err
			}
			return f.reply(f.r.RequestCode, ReplyLocked, ReplyData{Attempts: c.PINFailures, Until: f.r.customerTime(until)})
		}
		if err := f.tx.UpdateCustomer(c); err != nil {
			return err
		}
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	c.PINSalt, c.PINHash, c.PINFailures = sec.newSalt, sec.newHash, 0
	if err := f.tx.UpdateCustomer(c); err != nil {
		return err
	}
	return f.reply(f.r.RequestCode, ReplyPINChanged, ReplyData{})
}

func requestHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
