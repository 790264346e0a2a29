package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/smpp/text"
)

// Directions of a Message.
const (
	DirMO = "mo" // sent by the phone to a short code
	DirMT = "mt" // sent by the gateway to the phone
)

// MO statuses; a refused MO carries the SMPP status name instead.
const (
	StatusSending   = "sending"   // being delivered to the gateway
	StatusDelivered = "delivered" // the gateway acknowledged every part
)

// Message is one SMS of a simulated phone's thread.
type Message struct {
	// ID orders messages by creation.
	ID int64 `json:"id"`
	// Rev is the cursor value of the message's last change: a client that
	// has seen cursor N has seen every change with Rev <= N.
	Rev int64 `json:"rev"`
	// Dir is DirMO or DirMT.
	Dir string `json:"dir"`
	// MSISDN is the phone's number as the message carried it.
	MSISDN string `json:"msisdn"`
	// Code is the short code: the destination of an MO, the source of an
	// MT.
	Code string `json:"code"`
	// Text is the message text; PIN material of an MO is masked.
	Text string `json:"text"`
	// Status is the delivery state of an MO: StatusSending,
	// StatusDelivered, or why it failed. Empty for an MT.
	Status string `json:"status,omitempty"`
	// MessageID is the SMSC message id of an MT.
	MessageID string `json:"message_id,omitempty"`
	// Operator is the simulated operator whose SMSC carried the message
	// (empty when the simulator plays one unnamed network).
	Operator string    `json:"operator,omitempty"`
	Time     time.Time `json:"time"`
}

// Failed reports whether an MO was refused or could not be delivered.
func (m Message) Failed() bool {
	return m.Dir == DirMO && m.Status != StatusSending && m.Status != StatusDelivered
}

// Options configure a Simulator.
type Options struct {
	// Keep is how many messages are kept in memory, MOs and MTs together;
	// default 1000.
	Keep int
	// Redact, when set, returns the text of an MO as it may be shown and
	// kept: it receives the short code and the text as sent, and should
	// mask PINs. The MO is delivered unchanged.
	Redact func(code, text string) string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// USSDTimeout is how long a USSD session stays open without the
	// subscriber's input before the network releases it; default
	// DefaultUSSDTimeout (180s).
	USSDTimeout time.Duration
	// USSDAnswerWait is how long the network waits for the gateway's
	// screen before it releases the session; default
	// DefaultUSSDAnswerWait (10s).
	USSDAnswerWait time.Duration
}

// Simulator is the embedded SMSC as a person sees it: MOs go in through
// Send, and the MTs the gateway submits are kept whole (concatenated parts
// joined) for the phone. It implements Backend and is safe for concurrent
// use.
type Simulator struct {
	ops    []*simOperator
	reasm  *text.Reassembler
	keep   int
	redact func(code, text string) string
	now    func() time.Time

	ussdTimeout    time.Duration
	ussdAnswerWait time.Duration

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	id, rev int64
	msgs    []Message // the most recent messages, by ID

	ussdByNum    map[uint8]*ussdSession  // open USSD sessions by session number
	ussdByMSISDN map[string]*ussdSession // the latest USSD session of each subscriber
	ussdNext     uint8                   // the next session number to try
}

var _ Backend = (*Simulator)(nil)

// Operator is one network the simulator plays: its SMSC, to which the
// gateway binds, and the prefixes of its subscribers.
type Operator struct {
	Name   string
	Server *smsc.Server
	// Prefixes in national (0811), international (62811) or
	// plus-international form; a whole number is a prefix too (a ported
	// number). A subscriber belongs to the operator of its longest
	// prefix, or to the first operator when none matches.
	Prefixes []string
}

type simOperator struct {
	name     string
	srv      *smsc.Server
	prefixes []string // canonical
}

// New attaches a Simulator to srv: it sets srv.OnSubmit, so it must be
// called before srv.Start.
func New(srv *smsc.Server, o Options) *Simulator {
	s, _ := NewOperators([]Operator{{Server: srv}}, o)
	return s
}

// NewOperators attaches a Simulator to the SMSCs of several operators:
// each subscriber's MOs and USSD dialogues go to the gateway through its
// operator's SMSC, and the MTs the gateway submits to any of them join
// the threads, marked with the operator. It sets each server's OnSubmit,
// so it must be called before they start.
func NewOperators(ops []Operator, o Options) (*Simulator, error) {
	if len(ops) == 0 {
		return nil, errors.New("sim: no operator")
	}
	s := newSimulator(o)
	for _, op := range ops {
		so := &simOperator{name: op.Name, srv: op.Server}
		for _, p := range op.Prefixes {
			c, err := keywords.CanonicalPrefix(p)
			if err != nil {
				return nil, fmt.Errorf("sim: operator %q: %w", op.Name, err)
			}
			so.prefixes = append(so.prefixes, c)
		}
		op.Server.OnSubmit = func(sub smsc.Submission) { s.record(so, sub) }
		s.ops = append(s.ops, so)
	}
	return s, nil
}

func newSimulator(o Options) *Simulator {
	s := &Simulator{
		reasm:   text.NewReassembler(text.ReassemblerOptions{}),
		keep:    o.Keep,
		redact:  o.Redact,
		now:     o.Now,
		changed: make(chan struct{}),

		ussdTimeout:    o.USSDTimeout,
		ussdAnswerWait: o.USSDAnswerWait,
		ussdByNum:      map[uint8]*ussdSession{},
		ussdByMSISDN:   map[string]*ussdSession{},
	}
	if s.ussdTimeout <= 0 {
		s.ussdTimeout = DefaultUSSDTimeout
	}
	if s.ussdAnswerWait <= 0 {
		s.ussdAnswerWait = DefaultUSSDAnswerWait
	}
	if s.keep <= 0 {
		s.keep = 1000
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Server returns the SMSC the simulator is attached to (the first
// operator's).
func (s *Simulator) Server() *smsc.Server { return s.ops[0].srv }

// Operator returns the name of the operator msisdn belongs to.
func (s *Simulator) Operator(msisdn string) string { return s.operatorOf(msisdn).name }

// operatorOf returns the operator of msisdn: that of its longest prefix,
// else the first.
func (s *Simulator) operatorOf(msisdn string) *simOperator {
	n := normalize(msisdn)
	best, bestLen := s.ops[0], 0
	for _, op := range s.ops {
		for _, p := range op.prefixes {
			if len(p) > bestLen && strings.HasPrefix(n, p) {
				best, bestLen = op, len(p)
			}
		}
	}
	return best
}

// record keeps an MT submitted to op's SMSC, joining concatenated parts.
// A USSD screen goes to its session instead: it is not an SMS.
func (s *Simulator) record(op *simOperator, sub smsc.Submission) {
	if isUSSD(sub) {
		s.recordUSSD(op, sub)
		return
	}
	ud := sub.UserData()
	dcs := sub.DataCoding()
	var ref uint16
	var total, seqNo uint8
	concat := false
	if sub.ESMClass().UDHI() {
		h, rest, err := text.ParseUDH(ud)
		if err != nil {
			return
		}
		ref, total, seqNo, concat = h.Concat()
		ud = rest
	} else if r, ok := sub.TLVs().Uint16(pdu.TagSarMsgRefNum); ok {
		t, _ := sub.TLVs().Uint8(pdu.TagSarTotalSegments)
		n, _ := sub.TLVs().Uint8(pdu.TagSarSegmentSeqnum)
		ref, total, seqNo, concat = r, t, n, true
	}
	if concat && total > 1 {
		full, done, err := s.reasm.Add(sub.Time, text.Key{Source: sub.Source(), Dest: sub.Destination()}, ref, total, seqNo, dcs, ud)
		if err != nil || !done {
			return
		}
		ud = full
	}
	msg, err := text.Decode(dcs, ud, op.srv.Text)
	if err != nil {
		msg = "[" + err.Error() + "]"
	}
	at := sub.Time
	if at.IsZero() {
		at = s.now()
	}
	s.add(Message{Dir: DirMT, MSISDN: sub.Destination(), Code: sub.Source(), Text: msg, MessageID: sub.MessageID, Operator: op.name, Time: at})
}

// add appends m with the next ID and revision and returns it.
func (s *Simulator) add(m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id++
	s.rev++
	m.ID, m.Rev = s.id, s.rev
	s.msgs = append(s.msgs, m)
	if len(s.msgs) > s.keep {
		s.msgs = slices.Clone(s.msgs[len(s.msgs)-s.keep:])
	}
	s.notifyLocked()
	return m
}

// setStatus changes the status of message id and returns it.
func (s *Simulator) setStatus(id int64, status string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := slices.BinarySearchFunc(s.msgs, id, func(m Message, id int64) int { return int(m.ID - id) })
	if !ok {
		return Message{}, false
	}
	s.rev++
	s.msgs[i].Status, s.msgs[i].Rev = status, s.rev
	s.notifyLocked()
	return s.msgs[i], true
}

func (s *Simulator) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ErrNoGateway is returned by Send when no gateway is bound to the
// simulator to receive the MO.
var ErrNoGateway = errors.New("no gateway is bound to the simulator")

// RefusedError is returned by Send when the gateway answered a part of
// the MO with an error status (ESME_RX_T_APPN when it could not store it).
type RefusedError struct {
	Status pdu.Status
}

func (e *RefusedError) Error() string {
	return "the gateway answered the MO with " + e.Status.Name()
}

// Send delivers text from msisdn to the short code code as an MO
// (deliver_sm, split if long) and returns it as recorded: first with
// StatusSending, so the thread shows it before its replies, then with the
// gateway's answer. A delivery that fails returns the message with the
// error as its status, and the error: ErrNoGateway when no gateway is
// bound, a *RefusedError when the gateway refused the MO.
func (s *Simulator) Send(ctx context.Context, msisdn, code, msg string) (Message, error) {
	shown := msg
	if s.redact != nil {
		shown = s.redact(code, msg)
	}
	op := s.operatorOf(msisdn)
	m := s.add(Message{Dir: DirMO, MSISDN: msisdn, Code: code, Text: shown, Status: StatusSending, Operator: op.name, Time: s.now()})
	sts, err := op.srv.DeliverText(ctx, msisdn, code, msg, &smsc.TextOptions{SourceTON: 1, SourceNPI: 1})
	status := StatusDelivered
	switch {
	case errors.Is(err, smsc.ErrNotBound):
		err = ErrNoGateway
		status = err.Error()
	case err != nil:
		err = fmt.Errorf("deliver MO: %w", err)
		status = err.Error()
	default:
		for _, st := range sts {
			if st != pdu.StatusOK {
				status = st.Name()
				err = &RefusedError{Status: st}
				break
			}
		}
	}
	if u, ok := s.setStatus(m.ID, status); ok {
		m = u
	} else {
		m.Status = status
	}
	return m, err
}

// Thread returns the messages of msisdn ("" = every number) that changed
// after the cursor, in the order of their changes, the current cursor, and
// a channel closed on the next change.
func (s *Simulator) Thread(after int64, msisdn string) ([]Message, int64, <-chan struct{}) {
	want := normalize(msisdn)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.Rev > after && (msisdn == "" || normalize(m.MSISDN) == want) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return int(a.Rev - b.Rev) })
	return out, s.rev, s.changed
}

// normalize returns the canonical form of an MSISDN, or s itself when it
// is not one.
func normalize(s string) string {
	if n, err := keywords.NormalizeMSISDN(s); err == nil {
		return string(n)
	}
	return s
}

// SameMSISDN reports whether a and b are the same number (08…, 628…,
// +628… forms are equal).
func SameMSISDN(a, b string) bool { return normalize(a) == normalize(b) }

// MaskDigits replaces every decimal digit of s, in any script (ASCII,
// Arabic-Indic, full-width, ...), with a bullet, keeping its shape ("PIN
// 123456" becomes "PIN ••••••").
func MaskDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '•'
		}
		return r
	}, s)
}
