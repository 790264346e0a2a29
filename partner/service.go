package partner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// CallbackTTL is how long a callback is retried before it is dead-lettered.
const CallbackTTL = 24 * time.Hour

// Defaults of Options.
const (
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultBlockAfter      = 5
	DefaultPendingMax      = 15 * time.Minute
	DefaultInquiryTTL      = 15 * time.Minute
	DefaultVAPrefix        = "0138877"
	DefaultDepositFunding  = domain.AccountID("settlement:h2h")
	DefaultCallbackBase    = 10 * time.Second
	DefaultCallbackMax     = time.Hour
)

// Cutoff is a daily window of local time, from Start to End (durations
// since midnight), in which new partner requests are refused. It may wrap
// past midnight (23:30 to 00:30). Start == End means no cutoff.
type Cutoff struct {
	Start, End time.Duration
	Location   *time.Location // default WIB (UTC+7)
}

// wib is the default zone of a Cutoff (Western Indonesia Time, UTC+7).
var wib = time.FixedZone("WIB", 7*3600)

// Contains reports whether t falls inside the window.
func (c Cutoff) Contains(t time.Time) bool {
	if c.Start == c.End {
		return false
	}
	loc := c.Location
	if loc == nil {
		loc = wib
	}
	lt := t.In(loc)
	tod := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	if c.Start < c.End {
		return tod >= c.Start && tod < c.End
	}
	return tod >= c.Start || tod < c.End
}

// Notifier delivers the callback of a final partner request (see
// Service.SendCallbacks). It returns nil only when the partner
// acknowledged the callback. An error whose Temporary method reports false
// is permanent: the callback is dead-lettered at once. Errors must not
// carry secrets: they are stored and logged.
type Notifier interface {
	Notify(ctx context.Context, r Request) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, r Request) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, r Request) error { return f(ctx, r) }

var _ Notifier = NotifierFunc(nil)

// Options configure Service. Zero durations and counts take the
// Default* values; a zero Cutoff has no window.
type Options struct {
	Partners []Partner
	Cutoff   Cutoff
	// The same product and destination from the same partner again
	// within DuplicateWindow is flagged as a possible duplicate, or
	// refused with EPossibleDup when RejectDuplicates is set.
	DuplicateWindow  time.Duration
	RejectDuplicates bool
	// BlockAfter consecutive failed requests block a destination until an
	// operator unblocks it.
	BlockAfter int
	// PendingMax is how long a request may stay pending before Recheck
	// marks it unknown.
	PendingMax time.Duration
	InquiryTTL time.Duration
	// VAPrefix precedes the account in a virtual account number.
	VAPrefix string
	// DepositFunding is the settlement account that deposit top-ups debit.
	DepositFunding domain.AccountID
	// Notifier sends callbacks; SendCallbacks needs it.
	Notifier Notifier
	// Callback retries back off exponentially from CallbackRetryBase up to
	// CallbackRetryMax, for CallbackTTL.
	CallbackRetryBase time.Duration
	CallbackRetryMax  time.Duration
	// CallbackWorkers bounds the callbacks sent at the same time
	// (default 4).
	CallbackWorkers int
	Logger          *slog.Logger
}

// Service runs the host-to-host partner API over a Gateway: top-ups,
// inquiry and payment, bank payment confirmations, status, balances and
// callbacks. Every operation is one store transaction; a partner's refid
// is its idempotency key, so a re-sent request returns the first result and
// a credit is made at most once, also under concurrent identical requests.
// Service is safe for concurrent use.
type Service struct {
	g        *smsgw.Gateway
	partners map[string]Partner
	order    []string
	o        Options
	log      *slog.Logger
}

// New validates o and returns the partner service of g, after registering
// the partner session hook with g (see Register). It does no I/O; call
// Init before serving.
func New(g *smsgw.Gateway, o Options) (*Service, error) {
	if g == nil {
		return nil, errors.New("smsgw: partners need a gateway")
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	if o.BlockAfter <= 0 {
		o.BlockAfter = DefaultBlockAfter
	}
	if o.PendingMax <= 0 {
		o.PendingMax = DefaultPendingMax
	}
	if o.InquiryTTL <= 0 {
		o.InquiryTTL = DefaultInquiryTTL
	}
	if o.VAPrefix == "" {
		o.VAPrefix = DefaultVAPrefix
	}
	if o.DepositFunding == "" {
		o.DepositFunding = DefaultDepositFunding
	}
	if o.CallbackRetryBase <= 0 {
		o.CallbackRetryBase = DefaultCallbackBase
	}
	if o.CallbackRetryMax < o.CallbackRetryBase {
		o.CallbackRetryMax = max(DefaultCallbackMax, o.CallbackRetryBase)
	}
	if o.CallbackWorkers <= 0 {
		o.CallbackWorkers = 4
	}
	p := &Service{g: g, partners: make(map[string]Partner, len(o.Partners)), o: o, log: o.Logger}
	if p.log == nil {
		p.log = g.Logger()
	}
	p.log = p.log.With("component", "partners")
	if err := CheckPartners(o.Partners); err != nil {
		return nil, fmt.Errorf("smsgw: %w", err)
	}
	for _, pt := range o.Partners {
		if pt.Mode == "" {
			pt.Mode = ModeImmediate
		}
		if pt.Deposit == "" {
			pt.Deposit = domain.AccountID(domain.KindDeposit + ":" + pt.ID)
		}
		if pt.Settlement == "" {
			pt.Settlement = domain.AccountID(domain.KindSettlement + ":" + pt.ID)
		}
		p.partners[pt.ID] = pt
		p.order = append(p.order, pt.ID)
	}
	Register(g)
	return p, nil
}

// PartnerError is a partner of Options.Partners that CheckPartners
// refuses: Index is its position, Field the field at fault ("id" or
// "mode").
type PartnerError struct {
	Index int
	Field string
	Msg   string
}

func (e *PartnerError) Error() string {
	return fmt.Sprintf("partner %d: %s: %s", e.Index, e.Field, e.Msg)
}

// CheckPartners checks the partners New is given: each id is 1-32
// letters, digits, '.', '_' or '-' and unique, and each mode is
// ModeImmediate or ModeConfirm (empty for ModeImmediate). A
// *PartnerError names the partner and the field at fault. New calls it;
// a configuration loader calls it to report the error against its own
// key before building the service.
func CheckPartners(ps []Partner) error {
	seen := make(map[string]bool, len(ps))
	for i, pt := range ps {
		if !validID(pt.ID) {
			return &PartnerError{i, "id", fmt.Sprintf("1-32 letters, digits, '.', '_' or '-' required, got %q", pt.ID)}
		}
		if seen[pt.ID] {
			return &PartnerError{i, "id", fmt.Sprintf("duplicate partner id %q", pt.ID)}
		}
		seen[pt.ID] = true
		switch pt.Mode {
		case "", ModeImmediate, ModeConfirm:
		default:
			return &PartnerError{i, "mode", fmt.Sprintf("must be %s or %s, got %q", ModeImmediate, ModeConfirm, pt.Mode)}
		}
	}
	return nil
}

// validID reports whether s is a usable partner id.
func validID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidRefID reports whether s can be a partner refid, bank reference or
// nonce: 1 to 64 printable ASCII characters other than space, '#' (the
// field separator of the text response form), '&', '=' and '%'.
func ValidRefID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '#' || c == '&' || c == '=' || c == '%' {
			return false
		}
	}
	return true
}

// checkRef returns EInvalid, naming what s is, unless ValidRefID(s).
func checkRef(what, s string) error {
	if ValidRefID(s) {
		return nil
	}
	return smsgw.Errorf(smsgw.EInvalid, "%s must be 1-64 printable characters without spaces, '#', '&', '=' or '%%'", what)
}

// Partner returns the configuration of partner id.
func (p *Service) Partner(id string) (Partner, bool) {
	pt, ok := p.partners[id]
	return pt, ok
}

// List returns the configured partners in configuration order.
func (p *Service) List() []Partner {
	out := make([]Partner, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.partners[id])
	}
	return out
}

// Options returns the options in force, defaults applied.
func (p *Service) Options() Options { return p.o }

// Init creates the deposit-funding account, each partner's deposit and the
// settlement account of each VA partner if missing, and checks that
// existing accounts have the right kind. It fails if the gateway's store
// does not hold the partner records (see Tx).
func (p *Service) Init(ctx context.Context) error {
	want := []smsgw.Account{{ID: p.o.DepositFunding, Kind: domain.KindSettlement}}
	for _, id := range p.order {
		pt := p.partners[id]
		want = append(want, smsgw.Account{ID: pt.Deposit, Kind: domain.KindDeposit})
		if pt.VA {
			want = append(want, smsgw.Account{ID: pt.Settlement, Kind: domain.KindSettlement})
		}
	}
	return p.update(ctx, func(tx Tx) error {
		for _, a := range want {
			a.CreatedAt = p.g.Now()
			err := tx.CreateAccount(&a)
			if smsgw.ErrorCode(err) == smsgw.EConflict {
				have, err := tx.Account(a.ID)
				if err != nil {
					return err
				}
				if have.Kind != a.Kind {
					return fmt.Errorf("partner account %s exists with kind %s, want %s", a.ID, have.Kind, a.Kind)
				}
			} else if err != nil {
				return fmt.Errorf("create partner account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

// errRaced marks a unique conflict on a request this transaction had
// found absent: another transaction created it meanwhile.
var errRaced = errors.New("partner request created concurrently")
