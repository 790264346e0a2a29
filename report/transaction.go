package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Timeline step kinds, in the order a PIN top-up produces them.
const (
	StepMO        = "mo"         // the MO that opened the transaction (IM2PAY)
	StepOtherMO   = "other_mo"   // another MO linked to it (BATAL, a repeated request)
	StepPINPrompt = "pin_prompt" // the MT asking for the PIN
	StepPIN       = "pin"        // a PIN reply (its text is stored redacted)
	StepReply     = "reply"      // another MT, e.g. wrong PIN
	StepTransfer  = "transfer"   // the ledger transfer
	StepResolved  = "resolved"   // the session reached its final state
	StepResult    = "result"     // the MT telling the outcome
	StepReceipt   = "receipt"    // a delivery receipt of an MT part

	// Steps of a host-to-host partner request.
	StepPartnerRequest = "partner_request" // the partner's request was recorded
	StepPartnerResult  = "partner_result"  // the request reached a final state, or was marked unknown
	StepCallback       = "callback"        // the callback to the partner was queued (Callback has its status now)
	StepCallbackSent   = "callback_sent"   // the partner acknowledged the callback
)

// Step is one event of a transaction's timeline.
type Step struct {
	At       time.Time
	Kind     string // a Step* constant
	Message  *smsgw.Message
	Part     *smsgw.MessagePart // for StepReceipt
	Transfer *smsgw.Transfer    // for StepTransfer
	State    smsgw.SessionState // for StepResolved
	// Partner is the request of StepPartnerRequest and StepPartnerResult;
	// Callback the callback of StepCallback and StepCallbackSent.
	Partner  *partner.Request
	Callback *partner.Callback
}

// Transaction is everything recorded about one top-up: the PIN session,
// its messages, the ledger transfer and entries, and the timeline built
// from them. For a transfer without a session (host-to-host, bank) Session
// is nil. Partner is the host-to-host request that opened the session or
// made the transfer, if any, with its Callbacks.
type Transaction struct {
	Session   *smsgw.Session
	Messages  []smsgw.Message // oldest first
	Parts     map[int64][]smsgw.MessagePart
	Transfer  *smsgw.Transfer
	Entries   []smsgw.Entry
	Partner   *partner.Request
	Callbacks []partner.Callback // oldest first
	Steps     []Step
}

// outcomeReplies are the reply names that tell a session's final outcome.
var outcomeReplies = map[string]bool{
	smsgw.ReplySuccess: true, smsgw.ReplyLocked: true, smsgw.ReplyExpired: true, smsgw.ReplyCancelled: true, smsgw.ReplyFailed: true,
}

// maxTransactionMessages bounds the messages loaded for one transaction.
const maxTransactionMessages = 500

// LoadTransaction reads the session id and everything linked to it
// (ENotFound if the session does not exist).
func LoadTransaction(tx Source, sessionID int64) (*Transaction, error) {
	s, err := tx.Session(sessionID)
	if err != nil {
		return nil, err
	}
	t := &Transaction{Session: s}
	msgs, err := tx.Messages(smsgw.MessageFilter{SessionID: s.ID, Limit: maxTransactionMessages})
	if err != nil {
		return nil, fmt.Errorf("messages of session %d: %w", s.ID, err)
	}
	if s.RequestMessage != 0 && !slices.ContainsFunc(msgs, func(m smsgw.Message) bool { return m.ID == s.RequestMessage }) {
		// The request is linked when it is processed; show it before that too.
		m, err := tx.Message(s.RequestMessage)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, fmt.Errorf("request of session %d: %w", s.ID, err)
		}
		if m != nil {
			msgs = append(msgs, *m)
		}
	}
	if s.TransferID != 0 {
		if t.Transfer, err = tx.TransferByID(s.TransferID); err != nil {
			return nil, fmt.Errorf("transfer of session %d: %w", s.ID, err)
		}
	}
	if ptx, ok := tx.(partner.RequestStore); ok {
		r, err := ptx.PartnerRequestBySession(s.ID)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, fmt.Errorf("partner request of session %d: %w", s.ID, err)
		}
		t.Partner = r
	}
	return t, t.load(tx, msgs)
}

// LoadTransferTransaction reads transfer id with its session's transaction
// when it has one, else with the messages linked to it (ENotFound if the
// transfer does not exist).
func LoadTransferTransaction(tx Source, transferID int64) (*Transaction, error) {
	tr, err := tx.TransferByID(transferID)
	if err != nil {
		return nil, err
	}
	if tr.SessionID != 0 {
		return LoadTransaction(tx, tr.SessionID)
	}
	t := &Transaction{Transfer: tr}
	msgs, err := tx.Messages(smsgw.MessageFilter{TransferID: tr.ID, Limit: maxTransactionMessages})
	if err != nil {
		return nil, fmt.Errorf("messages of transfer %d: %w", tr.ID, err)
	}
	if tr.MessageID != 0 && !slices.ContainsFunc(msgs, func(m smsgw.Message) bool { return m.ID == tr.MessageID }) {
		m, err := tx.Message(tr.MessageID)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, fmt.Errorf("message of transfer %d: %w", tr.ID, err)
		}
		if m != nil {
			msgs = append(msgs, *m)
		}
	}
	if ptx, ok := tx.(partner.RequestStore); ok {
		r, err := ptx.PartnerRequestByTransfer(tr.ID)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, fmt.Errorf("partner request of transfer %d: %w", tr.ID, err)
		}
		t.Partner = r
	}
	return t, t.load(tx, msgs)
}

// maxTransactionCallbacks bounds the callbacks loaded for one transaction
// (a request has one; the bound only guards the query).
const maxTransactionCallbacks = 10

// load completes t with msgs, their parts, the transfer's entries and the
// timeline.
func (t *Transaction) load(tx Source, msgs []smsgw.Message) error {
	slices.SortFunc(msgs, func(a, b smsgw.Message) int { return cmp.Compare(a.ID, b.ID) })
	t.Messages = msgs
	t.Parts = map[int64][]smsgw.MessagePart{}
	for _, m := range msgs {
		if m.Direction != smsgw.DirOut {
			continue
		}
		parts, err := tx.MessageParts(m.ID)
		if err != nil {
			return fmt.Errorf("parts of message %d: %w", m.ID, err)
		}
		t.Parts[m.ID] = parts
	}
	if t.Transfer != nil {
		entries, err := tx.TransferEntries(t.Transfer.ID)
		if err != nil {
			return fmt.Errorf("entries of transfer %d: %w", t.Transfer.ID, err)
		}
		t.Entries = entries
	}
	if ptx, ok := tx.(partner.CallbackStore); ok && t.Partner != nil {
		cs, err := ptx.Callbacks(partner.CallbackFilter{RequestID: t.Partner.ID, Limit: maxTransactionCallbacks})
		if err != nil {
			return fmt.Errorf("callbacks of partner request %d: %w", t.Partner.ID, err)
		}
		slices.SortFunc(cs, func(a, b partner.Callback) int { return cmp.Compare(a.ID, b.ID) })
		t.Callbacks = cs
	}
	t.Steps = t.timeline()
	return nil
}

// Step ranks order events that share a timestamp by cause and effect.
var stepRank = map[string]int{
	StepPartnerRequest: 0, StepMO: 0, StepOtherMO: 0, StepPIN: 0,
	StepTransfer: 1, StepResolved: 2, StepPartnerResult: 2,
	StepPINPrompt: 3, StepReply: 3, StepResult: 3, StepCallback: 3,
	StepReceipt: 4, StepCallbackSent: 4,
}

// timeline orders the transaction's events by time, then by cause.
func (t *Transaction) timeline() []Step {
	var steps []Step
	for i := range t.Messages {
		m := &t.Messages[i]
		s := Step{At: m.CreatedAt, Message: m}
		switch {
		case m.Direction == smsgw.DirIn && t.Session != nil && m.ID == t.Session.RequestMessage:
			s.Kind = StepMO
		case m.Direction == smsgw.DirIn && (m.Keyword == smsgw.KeywordPINReply || m.Keyword == smsgw.KeywordPINMisdirected):
			s.Kind = StepPIN
		case m.Direction == smsgw.DirIn && t.Session == nil && t.Transfer != nil && m.ID == t.Transfer.MessageID:
			s.Kind = StepMO
		case m.Direction == smsgw.DirIn:
			s.Kind = StepOtherMO
		case m.Template == smsgw.ReplyPINPrompt:
			s.Kind = StepPINPrompt
		case outcomeReplies[m.Template]:
			s.Kind = StepResult
		default:
			s.Kind = StepReply
		}
		steps = append(steps, s)
		for j := range t.Parts[m.ID] {
			p := &t.Parts[m.ID][j]
			if p.DLRAt != nil {
				steps = append(steps, Step{At: *p.DLRAt, Kind: StepReceipt, Message: m, Part: p})
			}
		}
	}
	if t.Transfer != nil {
		steps = append(steps, Step{At: t.Transfer.CreatedAt, Kind: StepTransfer, Transfer: t.Transfer})
	}
	if s := t.Session; s != nil && s.ResolvedAt != nil {
		steps = append(steps, Step{At: *s.ResolvedAt, Kind: StepResolved, State: s.State})
	}
	if r := t.Partner; r != nil {
		steps = append(steps, Step{At: r.CreatedAt, Kind: StepPartnerRequest, Partner: r})
		switch {
		case r.ResolvedAt != nil:
			steps = append(steps, Step{At: *r.ResolvedAt, Kind: StepPartnerResult, Partner: r})
		case r.State == partner.Unknown:
			steps = append(steps, Step{At: r.UpdatedAt, Kind: StepPartnerResult, Partner: r})
		}
		for i := range t.Callbacks {
			c := &t.Callbacks[i]
			steps = append(steps, Step{At: c.CreatedAt, Kind: StepCallback, Callback: c})
			if c.SentAt != nil {
				steps = append(steps, Step{At: *c.SentAt, Kind: StepCallbackSent, Callback: c})
			}
		}
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(stepRank[a.Kind], stepRank[b.Kind])
	})
	return steps
}
