package partner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"

	"github.com/smsgw/smsgw/keywords"
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

// ParseProduct returns the canonical code and the amount of a product
// code: "IP" followed by the nominal in thousands of rupiah (IP50 is
// Rp50.000), or the nominal in rupiah ("50000"). Errors have code
// EProduct. Whether the amount is on sale is checked separately.
func ParseProduct(code string) (string, domain.Amount, error) {
	s := strings.ToUpper(strings.TrimSpace(code))
	thousands := strings.HasPrefix(s, "IP")
	digits := strings.TrimPrefix(s, "IP")
	if digits == "" || len(digits) > 10 || digits[0] == '0' {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	if thousands {
		return "IP" + digits, domain.Amount(n * 1000), nil
	}
	if n%1000 != 0 {
		return "", 0, smsgw.Errorf(EProduct, "unknown product code %q", clip(code))
	}
	return "IP" + strconv.FormatInt(n/1000, 10), domain.Amount(n), nil
}

// clip shortens text quoted in error messages.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// ParseVA returns the i-pay account of a virtual account number: prefix
// followed by the account (e.g. 0138877 08100000002), or the prefix without
// its 3-digit bank code (8877 08100000002), as an ATM that takes the bank
// code separately relays it. Spaces and dashes are ignored. Errors have
// code EDestination.
func ParseVA(prefix, va string) (domain.MSISDN, error) {
	var b strings.Builder
	for i := 0; i < len(va); i++ {
		switch c := va[i]; {
		case c == ' ' || c == '-':
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return "", smsgw.Errorf(EDestination, "virtual account must be digits")
		}
	}
	digits := b.String()
	rest, ok := strings.CutPrefix(digits, prefix)
	if !ok && len(prefix) > 3 {
		// Some ATMs take the 3-digit bank code separately (013, then
		// 8877...), and the bank relays the account without it.
		rest, ok = strings.CutPrefix(digits, prefix[3:])
	}
	if !ok || rest == "" {
		return "", smsgw.Errorf(EDestination, "virtual account must start with %s", prefix)
	}
	acct, err := keywords.NormalizeMSISDN(rest)
	if err != nil {
		return "", smsgw.Errorf(EDestination, "virtual account holds no valid account")
	}
	return domain.MSISDN(acct), nil
}

// parseDest normalises a destination MSISDN.
func parseDest(dest string) (domain.MSISDN, error) {
	d, err := keywords.NormalizeMSISDN(dest)
	if err != nil {
		return "", smsgw.Errorf(EDestination, "destination %q is not a valid number", clip(dest))
	}
	return domain.MSISDN(d), nil
}

// Result is the outcome of a request a partner submitted.
type Result struct {
	Request Request
	// Resent is true when the refid was seen before: Request is the
	// original, unchanged.
	Resent bool
}

// TopUpRequest is a top-up by product code and destination.
type TopUpRequest struct {
	Partner string
	Nonce   string // "" when the signature scheme has none
	RefID   string
	Product string
	Dest    string
}

// InquiryRequest asks for the amount and name of a top-up.
type InquiryRequest struct {
	Partner string
	Nonce   string
	Product string
	Dest    string
}

// PaymentRequest pays an inquiry. Amount, when not zero, must equal the
// inquiry's.
type PaymentRequest struct {
	Partner   string
	Nonce     string
	RefID     string
	InquiryID int64
	Amount    domain.Amount
}

// VAPayment is a bank's confirmation that a customer paid Amount to the
// virtual account VA; BankRef identifies the payment at the bank.
type VAPayment struct {
	Partner string
	Nonce   string
	VA      string
	Amount  domain.Amount
	BankRef string
	PaidAt  time.Time
}

// errRaced marks a unique conflict on a request this transaction had
// found absent: another transaction created it meanwhile.
var errRaced = errors.New("partner request created concurrently")

// rejection is the outcome of a request refused without creating a
// partner request. It is committed (with the nonce and destination
// counters) rather than rolled back.
type rejection struct{ err error }

// reject wraps a refusal.
func reject(code, format string, args ...any) *rejection {
	return &rejection{err: smsgw.Errorf(code, format, args...)}
}

// exec runs fn in one write transaction after recording the nonce, if
// any. fn returns a rejection, or an error that rolls everything back.
func (p *Service) exec(ctx context.Context, partner, nonce string, fn func(tx Tx, now time.Time) (*rejection, error)) error {
	var rej *rejection
	err := p.update(ctx, func(tx Tx) error {
		rej = nil
		now := p.g.Now()
		if nonce != "" {
			if err := tx.UseNonce(partner, nonce, now); smsgw.ErrorCode(err) == smsgw.EDuplicate {
				return smsgw.Errorf(EReplay, "nonce already used")
			} else if err != nil {
				return err
			}
		}
		r, err := fn(tx, now)
		rej = r
		return err
	})
	if err != nil {
		return err
	}
	if rej != nil {
		return rej.err
	}
	return nil
}

// partner looks up a configured partner.
func (p *Service) partner(id string) (Partner, error) {
	pt, ok := p.partners[id]
	if !ok {
		return Partner{}, smsgw.Errorf(smsgw.ENotFound, "unknown partner")
	}
	return pt, nil
}

// creditSpec describes the credit a top-up or payment asks for.
type creditSpec struct {
	kind      string
	refid     string
	product   string
	dest      domain.MSISDN
	amount    domain.Amount
	hash      string
	inquiryID int64
}

// TopUp credits Dest with the product's amount: at once from the
// partner's deposit (immediate mode), or after the customer confirms with
// the SMS banking PIN (confirm mode; the result is pending and the partner
// learns it by callback). A re-sent refid returns the first result.
//
// Errors: ENotFound (unknown partner), EInvalid (bad refid), EReplay,
// EConflict (refid used for another request), ECutoff, EProduct,
// EDestination, EBlocked, EPossibleDup (when duplicates are refused),
// EFunds (deposit too low), ENotCustomer, EBusy and ELocked (confirm mode:
// the customer cannot confirm now).
func (p *Service) TopUp(ctx context.Context, req TopUpRequest) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if !ValidRefID(req.RefID) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "refid must be 1-64 printable characters without spaces, '#', '&', '=' or '%%'")
	}
	product, amount, err := p.product(req.Product)
	if err != nil {
		return nil, err
	}
	dest, err := parseDest(req.Dest)
	if err != nil {
		return nil, err
	}
	spec := creditSpec{
		kind: KindTopUp, refid: req.RefID, product: product, dest: dest, amount: amount,
		hash: smsgw.RequestHash(KindTopUp, product, string(dest)),
	}
	return p.credit(ctx, pt, req.Nonce, spec)
}

// product parses a product code and checks that its amount is on sale.
func (p *Service) product(code string) (string, domain.Amount, error) {
	product, amount, err := ParseProduct(code)
	if err != nil {
		return "", 0, err
	}
	if err := p.g.Rules().Keywords.CheckAmount(amount); err != nil {
		return "", 0, smsgw.Errorf(EProduct, "product %s: amount %s is not on sale", product, amount.Grouped())
	}
	return product, amount, nil
}

// credit runs a top-up or payment.
func (p *Service) credit(ctx context.Context, pt Partner, nonce string, spec creditSpec) (*Result, error) {
	var res *Result
	err := p.exec(ctx, pt.ID, nonce, func(tx Tx, now time.Time) (*rejection, error) {
		var (
			rej *rejection
			err error
		)
		res, rej, err = p.creditTx(tx, now, pt, spec)
		return rej, err
	})
	return p.outcome(ctx, pt.ID, spec.refid, spec.hash, res, err)
}

// outcome finishes a request-creating operation whose transaction ended
// with err: a refid raced by another transaction answers with that one's
// request, a committed result is reported.
func (p *Service) outcome(ctx context.Context, partner, refid, hash string, res *Result, err error) (*Result, error) {
	if errors.Is(err, errRaced) {
		return p.resent(ctx, partner, refid, hash)
	}
	if err != nil {
		return nil, err
	}
	p.committed(res)
	return res, nil
}

// resent reads the request another transaction created with refid.
func (p *Service) resent(ctx context.Context, partner, refid, hash string) (*Result, error) {
	var res *Result
	err := p.view(ctx, func(tx Tx) error {
		prev, err := tx.PartnerRequestByRef(partner, refid)
		if err != nil {
			return err
		}
		if prev.RequestHash != hash {
			return smsgw.Errorf(smsgw.EConflict, "refid already used for another request")
		}
		res = &Result{Request: *prev, Resent: true}
		return nil
	})
	return res, err
}

// committed reports a new request after its transaction committed.
func (p *Service) committed(res *Result) {
	if res == nil || res.Resent {
		return
	}
	r := &res.Request
	if r.State == Success {
		kind := smsgw.TransferH2H
		if r.Kind == KindVA {
			kind = smsgw.TransferBankVA
		}
		p.g.Credited(kind, r.Amount)
	}
	p.g.WakeSender()
	p.log.Info("partner request", "partner", r.Partner, "trxid", r.ID, "refid", r.RefID, "kind", r.Kind,
		"state", string(r.State), "msisdn", r.Dest, "amount", int64(r.Amount), "duplicate", r.Duplicate)
}

// previous looks up the partner's earlier request with refid: a resend of
// the same request returns it, another request with the same refid is a
// conflict.
func previous(tx Tx, partner, refid, hash string) (*Result, *rejection, error) {
	prev, err := tx.PartnerRequestByRef(partner, refid)
	if smsgw.ErrorCode(err) == smsgw.ENotFound {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if prev.RequestHash != hash {
		return nil, reject(smsgw.EConflict, "refid already used for another request"), nil
	}
	return &Result{Request: *prev, Resent: true}, nil, nil
}

func (p *Service) creditTx(tx Tx, now time.Time, pt Partner, spec creditSpec) (*Result, *rejection, error) {
	if res, rej, err := previous(tx, pt.ID, spec.refid, spec.hash); res != nil || rej != nil || err != nil {
		return res, rej, err
	}
	if p.o.Cutoff.Contains(now) {
		return nil, reject(ECutoff, "cutoff window: new requests are refused until %s", p.cutoffEnd()), nil
	}
	d, err := tx.Destination(string(spec.dest))
	if err != nil {
		return nil, nil, err
	}
	if d.Failures >= p.o.BlockAfter {
		return nil, reject(EBlocked, "destination blocked after %d consecutive failures", d.Failures), nil
	}
	account := spec.dest
	var payer *smsgw.Customer
	if pt.Mode == ModeConfirm {
		c, err := tx.Customer(spec.dest)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			if err := destinationResult(tx, spec.dest, false, now); err != nil {
				return nil, nil, err
			}
			return nil, reject(ENotCustomer, "destination is not registered for SMS banking confirmation"), nil
		} else if err != nil {
			return nil, nil, err
		}
		if c.Locked(now) {
			return nil, reject(smsgw.ELocked, "the customer is locked after wrong PINs"), nil
		}
		payer, account = c, c.Account
	}
	wallet, err := tx.Account(domain.WalletID(account))
	if smsgw.ErrorCode(err) == smsgw.ENotFound {
		if err := destinationResult(tx, spec.dest, false, now); err != nil {
			return nil, nil, err
		}
		return nil, reject(EDestination, "no i-pay account %s", account.Local()), nil
	} else if err != nil {
		return nil, nil, err
	}
	dup := false
	if _, err := tx.LastPartnerRequest(pt.ID, spec.product, string(spec.dest), now.Add(-p.o.DuplicateWindow)); err == nil {
		if p.o.RejectDuplicates {
			return nil, reject(EPossibleDup, "same product and destination within %s", p.o.DuplicateWindow), nil
		}
		dup = true
	} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
		return nil, nil, err
	}
	dep, err := tx.Account(pt.Deposit)
	if err != nil {
		return nil, nil, fmt.Errorf("deposit of partner %s: %w", pt.ID, err)
	}
	r := &Request{
		Partner: pt.ID, RefID: spec.refid, Kind: spec.kind, Mode: pt.Mode, Product: spec.product, Dest: spec.dest,
		Amount: spec.amount, RequestHash: spec.hash, InquiryID: spec.inquiryID, Duplicate: dup,
		BalanceBefore: dep.Balance, BalanceAfter: dep.Balance, CreatedAt: now, UpdatedAt: now,
	}
	if pt.Mode == ModeConfirm {
		return p.confirmTx(tx, now, r, payer)
	}
	r.TransferKey = "h2h:" + pt.ID + ":" + spec.refid
	t := &smsgw.Transfer{
		IdempotencyKey: r.TransferKey, RequestHash: spec.hash, Kind: smsgw.TransferH2H,
		From: pt.Deposit, To: wallet.ID, Amount: spec.amount, Reference: spec.refid, CreatedAt: now,
	}
	if err := tx.Transfer(t); smsgw.ErrorCode(err) == smsgw.EFunds {
		return nil, reject(smsgw.EFunds, "partner deposit too low"), nil
	} else if err != nil {
		return nil, nil, err
	}
	r.TransferID, r.SN, r.Price = t.ID, "H2H"+strconv.FormatInt(t.ID, 10), spec.amount
	r.BalanceAfter = dep.Balance - spec.amount
	r.State, r.ResolvedAt = Success, &now
	if err := p.createRequest(tx, r); err != nil {
		return nil, nil, err
	}
	if err := settlePartner(tx, r, now); err != nil {
		return nil, nil, err
	}
	if err := p.notifyCustomer(tx, r, wallet); err != nil {
		return nil, nil, err
	}
	return &Result{Request: *r}, nil, nil
}

// createRequest inserts r; a unique conflict means a concurrent request
// with the same refid won, and the whole transaction must roll back.
func (p *Service) createRequest(tx Tx, r *Request) error {
	err := tx.CreatePartnerRequest(r)
	if smsgw.ErrorCode(err) == smsgw.EConflict {
		return fmt.Errorf("create partner request %s/%s: %w", r.Partner, r.RefID, errRaced)
	}
	return err
}

// confirmTx opens a PIN session for payer and records the pending
// request; the PIN prompt goes out from the PIN short code.
func (p *Service) confirmTx(tx Tx, now time.Time, r *Request, payer *smsgw.Customer) (*Result, *rejection, error) {
	rules := p.g.Rules()
	s := &smsgw.Session{
		MSISDN: payer.MSISDN, Account: payer.Account, Amount: r.Amount, State: smsgw.StateAwaitingPIN,
		Channel: smsgw.ChannelSMS, CreatedAt: now, ExpiresAt: now.Add(rules.SessionTTL),
	}
	if err := tx.CreateSession(s); smsgw.ErrorCode(err) == smsgw.EBusy {
		return nil, reject(smsgw.EBusy, "the customer has a request waiting for a PIN"), nil
	} else if err != nil {
		return nil, nil, err
	}
	r.SessionID, r.State = s.ID, Pending
	if err := p.createRequest(tx, r); err != nil {
		return nil, nil, err
	}
	d := smsgw.ReplyData{Account: payer.Account.Local(), Amount: r.Amount.Grouped(), TTL: int(rules.SessionTTL / time.Minute)}
	if err := p.g.EnqueueReply(tx, &rules, rules.PINCode, payer.MSISDN, smsgw.ReplyPINPrompt, d, s.ID, 0); err != nil {
		return nil, nil, err
	}
	return &Result{Request: *r}, nil, nil
}

// notifyCustomer tells the wallet's owner about a credit a partner made.
func (p *Service) notifyCustomer(tx Tx, r *Request, wallet *smsgw.Account) error {
	rules := p.g.Rules()
	to := wallet.Owner
	if to == "" {
		to = r.Dest
	}
	d := smsgw.ReplyData{Account: r.Dest.Local(), Amount: r.Amount.Grouped(), Ref: r.SN}
	return p.g.EnqueueReply(tx, &rules, rules.RequestCode, to, smsgw.ReplySuccess, d, 0, r.TransferID)
}

// cutoffEnd formats the end of the cutoff window.
func (p *Service) cutoffEnd() string {
	e := p.o.Cutoff.End
	return fmt.Sprintf("%02d:%02d", int(e.Hours()), int(e.Minutes())%60)
}

// Inquire returns the amount and account holder of a top-up, valid for
// the inquiry TTL; Pay references it. Errors as TopUp, except those of
// the refid and the deposit.
func (p *Service) Inquire(ctx context.Context, req InquiryRequest) (*Inquiry, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	product, amount, err := p.product(req.Product)
	if err != nil {
		return nil, err
	}
	dest, err := parseDest(req.Dest)
	if err != nil {
		return nil, err
	}
	var q *Inquiry
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if p.o.Cutoff.Contains(now) {
			return reject(ECutoff, "cutoff window: new requests are refused until %s", p.cutoffEnd()), nil
		}
		d, err := tx.Destination(string(dest))
		if err != nil {
			return nil, err
		}
		if d.Failures >= p.o.BlockAfter {
			return reject(EBlocked, "destination blocked after %d consecutive failures", d.Failures), nil
		}
		account, name := dest, ""
		if c, err := tx.Customer(dest); err == nil {
			name = c.Name
			if pt.Mode == ModeConfirm {
				account = c.Account
			}
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		} else if pt.Mode == ModeConfirm {
			return reject(ENotCustomer, "destination is not registered for SMS banking confirmation"), nil
		}
		if _, err := tx.Account(domain.WalletID(account)); smsgw.ErrorCode(err) == smsgw.ENotFound {
			return reject(EDestination, "no i-pay account %s", account.Local()), nil
		} else if err != nil {
			return nil, err
		}
		q = &Inquiry{Partner: pt.ID, Product: product, Dest: dest, Amount: amount, Name: name,
			CreatedAt: now, ExpiresAt: now.Add(p.o.InquiryTTL)}
		return nil, tx.CreateInquiry(q)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Pay pays an inquiry of the same partner: a top-up of the inquiry's
// product and destination with RefID as idempotency key. Errors as TopUp,
// plus ENotFound (no such inquiry), EExpired, EInvalid (amount differs)
// and EPaid (inquiry already paid under another refid).
func (p *Service) Pay(ctx context.Context, req PaymentRequest) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if !ValidRefID(req.RefID) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "refid must be 1-64 printable characters without spaces, '#', '&', '=' or '%%'")
	}
	if req.InquiryID <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "inquiry id required")
	}
	if req.Amount < 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	spec := creditSpec{
		kind: KindPayment, refid: req.RefID, inquiryID: req.InquiryID,
		hash: smsgw.RequestHash(KindPayment, strconv.FormatInt(req.InquiryID, 10), strconv.FormatInt(int64(req.Amount), 10)),
	}
	var res *Result
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if r, rej, err := previous(tx, pt.ID, req.RefID, spec.hash); r != nil || rej != nil || err != nil {
			res = r
			return rej, err
		}
		q, err := tx.Inquiry(req.InquiryID)
		if smsgw.ErrorCode(err) == smsgw.ENotFound || (err == nil && q.Partner != pt.ID) {
			return reject(smsgw.ENotFound, "inquiry %d not found", req.InquiryID), nil
		} else if err != nil {
			return nil, err
		}
		if !now.Before(q.ExpiresAt) {
			return reject(smsgw.EExpired, "inquiry %d expired", q.ID), nil
		}
		if req.Amount != 0 && req.Amount != q.Amount {
			return reject(smsgw.EInvalid, "amount %d differs from the inquiry's %d", int64(req.Amount), int64(q.Amount)), nil
		}
		if _, err := tx.PartnerRequestByInquiry(q.ID); err == nil {
			return reject(EPaid, "inquiry %d already paid", q.ID), nil
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		}
		spec.product, spec.dest, spec.amount = q.Product, q.Dest, q.Amount
		var rej *rejection
		res, rej, err = p.creditTx(tx, now, pt, spec)
		return rej, err
	})
	return p.outcome(ctx, pt.ID, req.RefID, spec.hash, res, err)
}

// PayVA credits the account of a virtual account once per bank reference,
// funded from the bank partner's settlement account, and sends the wallet
// owner an SMS. The cutoff does not apply: the customer has already paid.
// Errors: ENotFound (unknown partner), EForbidden (partner not enabled for
// VA), EInvalid, EReplay, EConflict (bank reference used for another
// payment), EDestination, EProduct (amount not allowed).
func (p *Service) PayVA(ctx context.Context, req VAPayment) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if !pt.VA {
		return nil, smsgw.Errorf(EForbidden, "partner is not enabled for virtual account payments")
	}
	if !ValidRefID(req.BankRef) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "bank reference must be 1-64 printable characters without spaces, '#', '&', '=' or '%%'")
	}
	account, err := ParseVA(p.o.VAPrefix, req.VA)
	if err != nil {
		return nil, err
	}
	if req.Amount <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	if err := p.g.Rules().Keywords.CheckAmount(req.Amount); err != nil {
		return nil, smsgw.Errorf(EProduct, "amount %s is not allowed", req.Amount.Grouped())
	}
	hash := smsgw.RequestHash(KindVA, string(account), strconv.FormatInt(int64(req.Amount), 10))
	var res *Result
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if r, rej, err := previous(tx, pt.ID, req.BankRef, hash); r != nil || rej != nil || err != nil {
			res = r
			return rej, err
		}
		wallet, err := tx.Account(domain.WalletID(account))
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return reject(EDestination, "no i-pay account %s", account.Local()), nil
		} else if err != nil {
			return nil, err
		}
		paid := req.PaidAt
		if paid.IsZero() {
			paid = now
		}
		r := &Request{
			Partner: pt.ID, RefID: req.BankRef, Kind: KindVA, Mode: ModeImmediate, Dest: account,
			Amount: req.Amount, RequestHash: hash, TransferKey: "va:" + pt.ID + ":" + req.BankRef,
			PaidAt: paid, CreatedAt: now, UpdatedAt: now,
		}
		t := &smsgw.Transfer{
			IdempotencyKey: r.TransferKey, RequestHash: hash, Kind: smsgw.TransferBankVA, From: pt.Settlement,
			To: wallet.ID, Amount: req.Amount, Reference: req.BankRef, CreatedAt: now,
		}
		if err := tx.Transfer(t); err != nil {
			return nil, err
		}
		r.TransferID, r.SN = t.ID, "VA"+strconv.FormatInt(t.ID, 10)
		r.State, r.ResolvedAt = Success, &now
		if err := p.createRequest(tx, r); err != nil {
			return nil, err
		}
		if err := settlePartner(tx, r, now); err != nil {
			return nil, err
		}
		if err := p.notifyCustomer(tx, r, wallet); err != nil {
			return nil, err
		}
		res = &Result{Request: *r}
		return nil, nil
	})
	return p.outcome(ctx, pt.ID, req.BankRef, hash, res, err)
}

// Status returns the partner's request with refid (ENotFound), after
// recording nonce if given (EReplay).
func (p *Service) Status(ctx context.Context, partner, nonce, refid string) (*Request, error) {
	if _, err := p.partner(partner); err != nil {
		return nil, err
	}
	if !ValidRefID(refid) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "refid required")
	}
	var r *Request
	fn := func(tx Tx, _ time.Time) (*rejection, error) {
		var err error
		r, err = tx.PartnerRequestByRef(partner, refid)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return &rejection{err: err}, nil
		}
		return nil, err
	}
	if err := p.read(ctx, partner, nonce, fn); err != nil {
		return nil, err
	}
	return r, nil
}

// Balance returns the partner's deposit balance, after recording nonce if
// given (EReplay).
func (p *Service) Balance(ctx context.Context, partner, nonce string) (domain.Amount, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return 0, err
	}
	var bal domain.Amount
	err = p.read(ctx, partner, nonce, func(tx Tx, _ time.Time) (*rejection, error) {
		a, err := tx.Account(pt.Deposit)
		if err != nil {
			return nil, err
		}
		bal = a.Balance
		return nil, nil
	})
	return bal, err
}

// read runs a read-only fn: in a write transaction when a nonce must be
// recorded, else in a read transaction.
func (p *Service) read(ctx context.Context, partner, nonce string, fn func(tx Tx, now time.Time) (*rejection, error)) error {
	if nonce != "" {
		return p.exec(ctx, partner, nonce, fn)
	}
	var rej *rejection
	err := p.view(ctx, func(tx Tx) error {
		var err error
		rej, err = fn(tx, p.g.Now())
		return err
	})
	if err != nil {
		return err
	}
	if rej != nil {
		return rej.err
	}
	return nil
}

// Deposit tops up a partner's deposit from the deposit-funding account,
// with its audit entry in the same transaction. ref (the bank transfer's
// reference) makes it idempotent: the same ref and amount return the first
// transfer (and record nothing), another amount is EConflict.
func (p *Service) Deposit(ctx context.Context, who smsgw.Actor, partner string, amount domain.Amount, ref string) (*smsgw.Transfer, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return nil, err
	}
	if amount <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	if !ValidRefID(ref) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "reference must be 1-64 printable characters without spaces")
	}
	key := "deposit:" + pt.ID + ":" + ref
	hash := smsgw.RequestHash(TransferDeposit, pt.ID, strconv.FormatInt(int64(amount), 10))
	var t *smsgw.Transfer
	err = p.update(ctx, func(tx Tx) error {
		prev, err := tx.TransferByKey(key)
		if err == nil {
			if prev.RequestHash != hash {
				return smsgw.Errorf(smsgw.EConflict, "deposit reference %s already used with another amount", ref)
			}
			t = prev
			return nil
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return err
		}
		now := p.g.Now()
		t = &smsgw.Transfer{IdempotencyKey: key, RequestHash: hash, Kind: TransferDeposit, From: p.o.DepositFunding,
			To: pt.Deposit, Amount: amount, Reference: ref, CreatedAt: now}
		if err := tx.Transfer(t); err != nil {
			return err
		}
		detail := fmt.Sprintf("deposit +Rp%s, ref %s, transfer %d", amount.Grouped(), ref, t.ID)
		return tx.AppendAudit(smsgw.NewAuditEntry(who, ActionDeposit, pt.ID, detail, now))
	})
	if err != nil {
		return nil, err
	}
	p.log.Info("partner deposit", "partner", pt.ID, "transfer", t.ID, "amount", int64(amount))
	return t, nil
}

// DepositAccount returns a partner's deposit account.
func (p *Service) DepositAccount(ctx context.Context, partner string) (*smsgw.Account, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return nil, err
	}
	var a *smsgw.Account
	err = p.view(ctx, func(tx Tx) error {
		var err error
		a, err = tx.Account(pt.Deposit)
		return err
	})
	return a, err
}

// Unblock clears the failure counter of a destination, with its audit
// entry in the same transaction.
func (p *Service) Unblock(ctx context.Context, who smsgw.Actor, dest string) error {
	d, err := parseDest(dest)
	if err != nil {
		return err
	}
	err = p.update(ctx, func(tx Tx) error {
		now := p.g.Now()
		prev, err := tx.Destination(string(d))
		if err != nil {
			return err
		}
		if err := tx.SetDestination(&Destination{Dest: d, UpdatedAt: now}); err != nil {
			return err
		}
		detail := fmt.Sprintf("failure count %d cleared", prev.Failures)
		return tx.AppendAudit(smsgw.NewAuditEntry(who, ActionUnblock, string(d), detail, now))
	})
	if err == nil {
		p.log.Info("destination unblocked", "msisdn", d)
	}
	return err
}

// Blocked lists destinations at or over the block threshold.
func (p *Service) Blocked(ctx context.Context, limit int) ([]Destination, error) {
	var ds []Destination
	err := p.view(ctx, func(tx Tx) error {
		var err error
		ds, err = tx.Destinations(p.o.BlockAfter, limit)
		return err
	})
	return ds, err
}

// Requests lists partner requests.
func (p *Service) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var rs []Request
	err := p.view(ctx, func(tx Tx) error {
		var err error
		rs, err = tx.PartnerRequests(f)
		return err
	})
	return rs, err
}

// PurgeNonces forgets nonces older than window, which must be at least
// the signature's timestamp window (a request older than that is refused
// for its timestamp anyway).
func (p *Service) PurgeNonces(ctx context.Context, now time.Time, window time.Duration) (int64, error) {
	var n int64
	err := p.update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.PurgeNonces(now.Add(-window))
		return err
	})
	return n, err
}
