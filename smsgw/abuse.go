package smsgw

import (
	"time"

	"github.com/smsgw/smsgw/domain"
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
// The limits live in the store (LimitStore), in the transaction that
// processes the MO: gateways sharing a store share them, a restart does not
// reset them, and an MO processed again after a rolled-back transaction
// gets the same verdict.
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

// moRateKey is the LimitStore key of the MO rate of a sender.
func moRateKey(m domain.MSISDN) string { return "mo:" + string(m) }

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
	in, a := f.in, &f.r.Abuse
	if a.MOPerMinute <= 0 {
		return false, nil
	}
	v, err := f.tx.TakeRate(moRateKey(in.MSISDN), Rate{Interval: time.Minute / time.Duration(a.MOPerMinute),
		Burst: a.MOBurst, Block: a.MOBlock}, in.CreatedAt)
	if err != nil || v.OK {
		return false, err
	}
	f.status, f.refused = MsgRateLimited, RefusedRateLimited
	if !v.Started {
		return true, nil
	}
	f.g.log.Warn("sender over the MO rate; its MOs are kept but not processed", "msisdn", in.MSISDN,
		"sms_id", in.ID, "until", v.Until)
	return true, f.reply(f.r.RequestCode, ReplyRateLimited, ReplyData{Minutes: minutesUntil(f.now, v.Until)})
}

// tooManyAccounts refuses a top-up of account when the sender c has asked
// for too many distinct accounts lately.
func (f *flow) tooManyAccounts(c *Customer, account domain.MSISDN, d ReplyData) (bool, error) {
	a := &f.r.Abuse
	if a.MaxAccounts <= 0 || account == c.Account {
		return false, nil
	}
	ok, until, err := f.tx.UseAccount(c.MSISDN, account, f.in.CreatedAt, a.AccountWindow, a.MaxAccounts)
	if err != nil || ok {
		return false, err
	}
	f.status, f.refused = MsgRefused, RefusedTooManyAccounts
	f.g.log.Warn("top-up refused: sender asked for too many distinct accounts", "msisdn", c.MSISDN,
		"sms_id", f.in.ID, "max_accounts", f.r.Abuse.MaxAccounts, "window", f.r.Abuse.AccountWindow)
	d.Minutes = minutesUntil(f.now, until)
	return true, f.reply(f.r.RequestCode, ReplyTooManyAccounts, d)
}
