package smsgw

import (
	"sync"
	"time"

	"github.com/smsgw/smsgw/domain"
	"golang.org/x/time/rate"
)

// AbuseRules bound what one sender (MSISDN) may do. A zero limit is off.
//
// MO rate: a token bucket of MOBurst MOs refilled at MOPerMinute. An MO
// over it is stored and acknowledged like any other (the SMS log keeps it,
// with status MsgRateLimited) but not processed as a command, and the
// sender is refused for MOBlock: every MO in that time is kept the same
// way, and only the first gets an answer (ReplyRateLimited), so a flood is
// not answered by a flood.
//
// Accounts: a sender may ask for top-ups of at most MaxAccounts distinct
// accounts (their own wallet not counted) within AccountWindow. Asking for
// one more is refused (ReplyTooManyAccounts, MO status MsgRefused) and
// logged. It stops one number from probing which accounts exist (the
// answer to IM2PAY tells) or from opening PIN prompts for many accounts;
// wrong PINs are counted per sender whatever the account, and lock it.
//
// The limits live in memory: a restart forgets them.
type AbuseRules struct {
	MOPerMinute   int
	MOBurst       int           // default MOPerMinute
	MOBlock       time.Duration // default 5m
	MaxAccounts   int
	AccountWindow time.Duration // default 1h
}

// Reasons an MO is refused, for AbuseObserver and the logs.
const (
	RefusedRateLimited     = "rate_limited"
	RefusedTooManyAccounts = "too_many_accounts"
)

// AbuseObserver is an optional add-on to Observer: an Observer that also
// implements it is told about MOs refused by the abuse limits, after
// commit.
type AbuseObserver interface {
	// Refused is called once per refused MO with RefusedRateLimited or
	// RefusedTooManyAccounts.
	Refused(reason string)
}

func (a *AbuseRules) defaults() {
	if a.MOPerMinute < 0 {
		a.MOPerMinute = 0
	}
	if a.MOBurst <= 0 {
		a.MOBurst = max(a.MOPerMinute, 1)
	}
	if a.MOBlock <= 0 {
		a.MOBlock = 5 * time.Minute
	}
	if a.MaxAccounts < 0 {
		a.MaxAccounts = 0
	}
	if a.AccountWindow <= 0 {
		a.AccountWindow = time.Hour
	}
}

// maxSenders is the number of tracked senders above which idle ones are
// forgotten.
const maxSenders = 50_000

// abuseGuard holds the per-sender state of the abuse limits and the
// verdicts given to inbox rows not yet committed, so that a row processed
// again after a failed transaction gets the same verdict (and its one
// answer) instead of using the limits up twice. Safe for concurrent use.
type abuseGuard struct {
	mu      sync.Mutex
	senders map[domain.MSISDN]*senderState
	rows    map[int64]verdict
	pruned  time.Time
}

type senderState struct {
	lim          *rate.Limiter
	blockedUntil time.Time
	accounts     map[domain.MSISDN]time.Time // account → last asked for
	last         time.Time
}

// verdict is the outcome of the abuse checks for one inbox row. from and
// at identify the MO it was given to: a row id can come back for another
// MO after a rolled-back insert, and such a verdict is not reused.
type verdict struct {
	from                        domain.MSISDN
	at                          time.Time
	rateChecked, rateOK, notify bool
	until                       time.Time // end of the refusal
	accountChecked, accountOK   bool
	accountsUntil               time.Time // when an account leaves the window
}

func (a *abuseGuard) sender(from domain.MSISDN, at time.Time) *senderState {
	if a.senders == nil {
		a.senders = map[domain.MSISDN]*senderState{}
		a.rows = map[int64]verdict{}
	}
	s, ok := a.senders[from]
	if !ok {
		if len(a.senders) >= maxSenders && at.Sub(a.pruned) >= time.Minute {
			a.prune(at)
		}
		s = &senderState{}
		a.senders[from] = s
	}
	if at.After(s.last) {
		s.last = at
	}
	return s
}

// prune forgets senders that are not refused, have a full bucket and no
// account within a day.
func (a *abuseGuard) prune(at time.Time) {
	a.pruned = at
	for k, s := range a.senders {
		if at.Before(s.blockedUntil) || at.Sub(s.last) < 24*time.Hour &&
			(len(s.accounts) > 0 || s.lim != nil && s.lim.TokensAt(at) < float64(s.lim.Burst())) {
			continue
		}
		delete(a.senders, k)
	}
}

// admit applies the MO rate of r to row id from from, received at. It
// reports whether the MO may be processed; when not, notify says whether
// this is the first MO of the refusal (the one to answer) and until when
// the refusal lasts.
func (a *abuseGuard) admit(r *AbuseRules, id int64, from domain.MSISDN, at time.Time) (ok, notify bool, until time.Time) {
	if r.MOPerMinute <= 0 {
		return true, false, time.Time{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sender(from, at)
	v := a.verdict(id, from, at)
	if v.rateChecked {
		return v.rateOK, v.notify, v.until
	}
	v.rateChecked = true
	limit := rate.Limit(float64(r.MOPerMinute) / 60)
	switch {
	case s.lim == nil:
		s.lim = rate.NewLimiter(limit, r.MOBurst)
	case s.lim.Limit() != limit || s.lim.Burst() != r.MOBurst: // rules reloaded
		s.lim.SetLimitAt(at, limit)
		s.lim.SetBurstAt(at, r.MOBurst)
	}
	switch {
	case at.Before(s.blockedUntil):
		v.until = s.blockedUntil
	case s.lim.AllowN(at, 1):
		v.rateOK = true
	default:
		s.blockedUntil = at.Add(r.MOBlock)
		v.notify, v.until = true, s.blockedUntil
	}
	a.rows[id] = v
	return v.rateOK, v.notify, v.until
}

// account applies the distinct-accounts limit of r to a top-up for
// account asked by from (whose own wallet is own) in row id at at. When
// refused, until is when the oldest account counted leaves the window.
func (a *abuseGuard) account(r *AbuseRules, id int64, from, own, account domain.MSISDN, at time.Time) (ok bool, until time.Time) {
	if r.MaxAccounts <= 0 || account == own {
		return true, time.Time{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sender(from, at)
	v := a.verdict(id, from, at)
	if v.accountChecked {
		return v.accountOK, v.accountsUntil
	}
	v.accountChecked = true
	var oldest time.Time
	for acc, seen := range s.accounts {
		if !at.Before(seen.Add(r.AccountWindow)) {
			delete(s.accounts, acc)
		} else if oldest.IsZero() || seen.Before(oldest) {
			oldest = seen
		}
	}
	_, known := s.accounts[account]
	if known || len(s.accounts) < r.MaxAccounts {
		if s.accounts == nil {
			s.accounts = map[domain.MSISDN]time.Time{}
		}
		s.accounts[account] = at
		v.accountOK = true
	} else {
		v.accountsUntil = oldest.Add(r.AccountWindow)
	}
	a.rows[id] = v
	return v.accountOK, v.accountsUntil
}

// verdict returns the verdict given to row id for the MO from from at at,
// or a fresh one.
func (a *abuseGuard) verdict(id int64, from domain.MSISDN, at time.Time) verdict {
	v := a.rows[id]
	if v.from != from || !v.at.Equal(at) {
		v = verdict{from: from, at: at}
	}
	return v
}

// forget drops the verdict of row id once its outcome is committed.
func (a *abuseGuard) forget(id int64) {
	a.mu.Lock()
	delete(a.rows, id)
	a.mu.Unlock()
}

// minutesUntil is the whole minutes from now to t, at least 1, for a
// customer text.
func minutesUntil(now, t time.Time) int {
	d := t.Sub(now)
	return max(1, int((d+time.Minute-1)/time.Minute))
}

// rateLimited refuses the MO being processed when its sender is over the
// MO rate: the MO is recorded as rate-limited and the first one of the
// refusal is answered.
func (f *flow) rateLimited() (bool, error) {
	in := f.in
	ok, notify, until := f.g.abuse.admit(&f.r.Abuse, in.ID, in.MSISDN, in.CreatedAt)
	if ok {
		return false, nil
	}
	f.status, f.refused = MsgRateLimited, RefusedRateLimited
	if !notify {
		return true, nil
	}
	f.g.log.Warn("sender over the MO rate; its MOs are kept but not processed", "msisdn", in.MSISDN,
		"sms_id", in.ID, "until", until)
	return true, f.reply(f.r.RequestCode, ReplyRateLimited, ReplyData{Minutes: minutesUntil(f.now, until)})
}

// tooManyAccounts refuses a top-up of account when the sender c has asked
// for too many distinct accounts lately.
func (f *flow) tooManyAccounts(c *Customer, account domain.MSISDN, d ReplyData) (bool, error) {
	ok, until := f.g.abuse.account(&f.r.Abuse, f.in.ID, c.MSISDN, c.Account, account, f.in.CreatedAt)
	if ok {
		return false, nil
	}
	f.status, f.refused = MsgRefused, RefusedTooManyAccounts
	f.g.log.Warn("top-up refused: sender asked for too many distinct accounts", "msisdn", c.MSISDN,
		"sms_id", f.in.ID, "max_accounts", f.r.Abuse.MaxAccounts, "window", f.r.Abuse.AccountWindow)
	d.Minutes = minutesUntil(f.now, until)
	return true, f.reply(f.r.RequestCode, ReplyTooManyAccounts, d)
}
