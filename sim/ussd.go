package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/smpp/text"
)

// USSD defaults.
const (
	// DefaultUSSDTimeout is how long the simulated network keeps a USSD
	// session open without a subscriber's input, as networks do.
	DefaultUSSDTimeout = 180 * time.Second
	// DefaultUSSDAnswerWait is how long the network waits for the
	// gateway's screen after a dial or an input.
	DefaultUSSDAnswerWait = 10 * time.Second
)

// Why a USSD session ended other than by the gateway's final screen
// (USSDScreen.Reason).
const (
	USSDCancelled = "cancelled" // the subscriber hung up: a release went to the gateway
	USSDDropped   = "dropped"   // the subscriber's phone dropped the session: nothing went to the gateway
	USSDTimeout   = "timeout"   // no input within the session timeout: a release went to the gateway
	USSDNoAnswer  = "no_answer" // the gateway did not answer in time: a release went to the gateway
	USSDReplaced  = "replaced"  // a new dial replaced it: a release went to the gateway
	USSDFailed    = "failed"    // the gateway refused the message or none is bound
)

// USSDScreen is what a simulated phone shows of a USSD session: the
// gateway's screen, or the end of the session by the network.
type USSDScreen struct {
	// Session is the its_session_info session number of the dialogue.
	Session int `json:"session"`
	// MSISDN is the subscriber, in canonical form.
	MSISDN string `json:"msisdn"`
	// Code is the service code dialled, e.g. "9779".
	Code string `json:"code"`
	// Text is the gateway's screen; empty when the network ended the
	// session itself (Reason).
	Text string `json:"text"`
	// End reports that the session is over: no input is expected.
	End bool `json:"end"`
	// Reason says why the session ended when it was not by the gateway's
	// final screen: USSDCancelled, USSDTimeout, ...
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
}

// USSDSessionError is a USSD action the session's state does not allow:
// an input without an open session, or while a screen is on its way.
type USSDSessionError struct{ Msg string }

func (e *USSDSessionError) Error() string { return e.Msg }

// ussdSession is one USSD dialogue of a subscriber with the gateway.
type ussdSession struct {
	msisdn  string // canonical
	addr    string // the source address of its messages, as dialled from
	code    string // service code
	num     uint8  // its_session_info session number
	seq     uint8  // sequence of the last message sent or received
	open    bool
	waiting bool // a message is out and its screen not in yet
	screens int  // screens received
	last    USSDScreen
	changed chan struct{} // closed and replaced on a screen or the end
	timer   *time.Timer
	idle    time.Time // the timeout runs out at this time (wall clock, as the timer)
}

// notify wakes those waiting for s's next screen. Called with Simulator.mu
// held.
func (u *ussdSession) notify() {
	close(u.changed)
	u.changed = make(chan struct{})
}

// isUSSD reports whether a submission is a USSD screen rather than an SMS:
// service_type "USSD" or the ussd_service_op TLV.
func isUSSD(sub smsc.Submission) bool {
	if _, ok := sub.TLVs().Uint8(pdu.TagUSSDServiceOp); ok {
		return true
	}
	st := ""
	if sub.SubmitSM != nil {
		st = sub.SubmitSM.ServiceType
	} else if sub.DataSM != nil {
		st = sub.DataSM.ServiceType
	}
	return strings.EqualFold(strings.TrimSpace(st), "USSD")
}

// recordUSSD takes the gateway's USSD screen to the session it belongs
// to: the one of its its_session_info session number, or the
// subscriber's open session when it has none. A screen for no open
// session (late, or for a session that ended) is dropped. PSSR response
// (17), PSSD response (16) or the end bit end the session; anything else
// waits for the subscriber's input.
func (s *Simulator) recordUSSD(from *simOperator, sub smsc.Submission) {
	msg, err := text.Decode(sub.DataCoding(), sub.UserData(), from.srv.Text)
	if err != nil {
		msg = "[" + err.Error() + "]"
	}
	op, _ := sub.TLVs().Uint8(pdu.TagUSSDServiceOp)
	info, hasInfo := sub.TLVs().ITSSessionInfo()
	msisdn := normalize(sub.Destination())
	at := sub.Time
	if at.IsZero() {
		at = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.ussdByMSISDN[msisdn]
	if hasInfo {
		u = s.ussdByNum[info.Session]
		if u != nil && u.msisdn != msisdn {
			u = nil
		}
	}
	if u == nil || !u.open {
		return // late, or for a session that ended: the phone shows nothing
	}
	end := op == smsc.USSDOpPSSRResponse || op == smsc.USSDOpPSSDResponse || hasInfo && info.End
	if hasInfo {
		u.seq = info.Sequence
	} else {
		u.seq = (u.seq + 1) & 0x7F
	}
	u.screens++
	u.waiting = false
	u.last = USSDScreen{Session: int(u.num), MSISDN: u.msisdn, Code: u.code, Text: msg, End: end, Time: at}
	if end {
		s.closeUSSDLocked(u, "")
	} else {
		s.touchLocked(u)
	}
	u.notify()
}

// closeUSSDLocked ends u. A reason is set when the network ended it rather
// than the gateway's final screen. Called with s.mu held.
func (s *Simulator) closeUSSDLocked(u *ussdSession, reason string) {
	if !u.open {
		return
	}
	u.open, u.waiting = false, false
	u.timer.Stop()
	if s.ussdByNum[u.num] == u {
		delete(s.ussdByNum, u.num)
	}
	if reason != "" {
		u.last = USSDScreen{Session: int(u.num), MSISDN: u.msisdn, Code: u.code, End: true, Reason: reason, Time: s.now()}
		u.notify()
	}
}

// release tells the gateway that the network ended session u (op 0x81,
// its_session_info with the end bit). Best effort: a gateway that is gone
// has nothing to release.
func (s *Simulator) release(ctx context.Context, u *ussdSession, seq uint8) {
	_, _ = s.operatorOf(u.msisdn).srv.DeliverUSSD(ctx, smsc.USSD{
		From: u.addr, To: u.code, Op: pdu.USSDOpRelease, // the network releases the session SourceTON: 1, SourceNPI: 1,
		Session: &pdu.ITSSessionInfo{Session: u.num, Sequence: seq & 0x7F, End: true},
	})
}

// endUSSD ends u for reason when it is still open and, with release,
// tells the gateway.
func (s *Simulator) endUSSD(ctx context.Context, u *ussdSession, reason string, release bool) USSDScreen {
	s.mu.Lock()
	wasOpen := u.open
	seq := u.seq + 1
	s.closeUSSDLocked(u, reason)
	last := u.last
	s.mu.Unlock()
	if wasOpen && release {
		s.release(ctx, u, seq)
	}
	return last
}

// ParseUSSDDial checks a dial string as a phone takes it: '*', the
// service code, optional '*'-separated arguments, and '#'. It returns the
// service code.
func ParseUSSDDial(dial string) (string, error) {
	dial = strings.TrimSpace(dial)
	if !strings.HasPrefix(dial, "*") || !strings.HasSuffix(dial, "#") || len(dial) < 3 {
		return "", keywords.ErrDialSyntax
	}
	d, err := keywords.ParseDial(dial)
	if err != nil {
		return "", err
	}
	return d.Code, nil
}

// DialUSSD opens a USSD session for msisdn: the network sends the dial
// string to the gateway as a PSSR indication (ussd_service_op 1) with a
// new its_session_info session number, sequence 0, and returns the
// gateway's first screen. A session msisdn had open is released first
// (USSDReplaced). When the gateway does not answer within the answer
// wait, or ctx ends first, the session is released (USSDNoAnswer) and an
// error returned with the ended screen.
func (s *Simulator) DialUSSD(ctx context.Context, msisdn, dial string) (USSDScreen, error) {
	code, err := ParseUSSDDial(dial)
	if err != nil {
		return USSDScreen{}, fmt.Errorf("dial %q: %w", dial, err)
	}
	canon := normalize(msisdn)
	s.mu.Lock()
	if old := s.ussdByMSISDN[canon]; old != nil && old.open {
		s.mu.Unlock()
		s.endUSSD(ctx, old, USSDReplaced, true)
		s.mu.Lock()
	}
	num, ok := s.freeSessionNumLocked()
	if !ok {
		s.mu.Unlock()
		return USSDScreen{}, &USSDSessionError{"every USSD session number is in use: 256 sessions are open"}
	}
	u := &ussdSession{msisdn: canon, addr: msisdn, code: code, num: num, open: true, waiting: true,
		changed: make(chan struct{}), idle: time.Now().Add(s.ussdTimeout)}
	u.timer = time.AfterFunc(s.ussdTimeout, func() { s.ussdTimedOut(u) })
	s.ussdByNum[num] = u
	s.ussdByMSISDN[canon] = u
	changed := u.changed
	s.mu.Unlock()
	return s.ussdExchange(ctx, u, changed, 0, smsc.USSD{
		From: msisdn, To: code, Text: strings.TrimSpace(dial), Op: smsc.USSDOpPSSRIndication, SourceTON: 1, SourceNPI: 1,
		Session: &pdu.ITSSessionInfo{Session: num, Sequence: 0},
	})
}

// AnswerUSSD sends what the subscriber typed on the current screen as a
// USSR confirm (ussd_service_op 18) with the next sequence, and returns
// the gateway's next screen. It fails with a *USSDSessionError when
// msisdn has no open session or a screen is still on its way.
func (s *Simulator) AnswerUSSD(ctx context.Context, msisdn, input string) (USSDScreen, error) {
	canon := normalize(msisdn)
	s.mu.Lock()
	u := s.ussdByMSISDN[canon]
	if err := ussdStateErr(u); err != nil {
		s.mu.Unlock()
		return USSDScreen{}, err
	}
	if u.waiting {
		s.mu.Unlock()
		return USSDScreen{}, &USSDSessionError{"the USSD session is waiting for the gateway's screen: answer it when it is shown"}
	}
	u.seq = (u.seq + 1) & 0x7F
	u.waiting = true
	s.touchLocked(u)
	seq, before, changed := u.seq, u.screens, u.changed
	s.mu.Unlock()
	return s.ussdExchange(ctx, u, changed, before, smsc.USSD{
		From: u.addr, To: u.code, Text: input, Op: smsc.USSDOpUSSRConfirm, SourceTON: 1, SourceNPI: 1,
		Session: &pdu.ITSSessionInfo{Session: u.num, Sequence: seq},
	})
}

// CancelUSSD ends msisdn's open session as the subscriber hanging up:
// the network sends the gateway a release (USSDCancelled), or with drop
// nothing at all, as when the phone loses the network (USSDDropped; the
// gateway forgets the session when its own timer runs out). It returns
// the ended screen, or a *USSDSessionError when no session is open.
func (s *Simulator) CancelUSSD(ctx context.Context, msisdn string, drop bool) (USSDScreen, error) {
	canon := normalize(msisdn)
	s.mu.Lock()
	u := s.ussdByMSISDN[canon]
	err := ussdStateErr(u)
	s.mu.Unlock()
	if err != nil {
		return USSDScreen{}, err
	}
	if drop {
		return s.endUSSD(ctx, u, USSDDropped, false), nil
	}
	return s.endUSSD(ctx, u, USSDCancelled, true), nil
}

// USSD returns the last screen of msisdn's latest session, and whether
// there is one.
func (s *Simulator) USSD(msisdn string) (USSDScreen, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.ussdByMSISDN[normalize(msisdn)]
	if u == nil || u.screens == 0 && u.open {
		return USSDScreen{}, false
	}
	return u.last, true
}

// ussdStateErr says why u takes no input, or nil when it is open.
func ussdStateErr(u *ussdSession) error {
	switch {
	case u == nil:
		return &USSDSessionError{"no USSD session is open for this number: dial a code first"}
	case !u.open && u.last.Reason == USSDTimeout:
		return &USSDSessionError{"the USSD session timed out: dial again"}
	case !u.open:
		return &USSDSessionError{"the USSD session has ended: dial again"}
	}
	return nil
}

// ussdExchange delivers one USSD message of session u and waits for the
// gateway's screen: a change of u after the before-th screen.
func (s *Simulator) ussdExchange(ctx context.Context, u *ussdSession, changed <-chan struct{}, before int, m smsc.USSD) (USSDScreen, error) {
	st, err := s.operatorOf(u.msisdn).srv.DeliverUSSD(ctx, m)
	switch {
	case errors.Is(err, smsc.ErrNotBound):
		err = ErrNoGateway
	case err != nil:
		err = fmt.Errorf("deliver USSD: %w", err)
	case st != pdu.StatusOK:
		err = &RefusedError{Status: st}
	}
	if err != nil {
		// The gateway never took it: there is nothing to release.
		return s.endUSSD(ctx, u, USSDFailed, false), err
	}
	wait := time.NewTimer(s.ussdAnswerWait)
	defer wait.Stop()
	for {
		select {
		case <-changed:
		case <-wait.C:
			return s.ussdNoAnswer(u)
		case <-ctx.Done():
			return s.ussdNoAnswer(u)
		}
		s.mu.Lock()
		if u.screens > before || !u.open {
			sc := u.last
			s.mu.Unlock()
			return sc, nil
		}
		changed = u.changed
		s.mu.Unlock()
	}
}

// ErrUSSDNoAnswer is returned when the gateway did not answer a USSD
// message in time; the network released the session.
var ErrUSSDNoAnswer = errors.New("the gateway did not answer the USSD message in time; the session was released")

func (s *Simulator) ussdNoAnswer(u *ussdSession) (USSDScreen, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sc := s.endUSSD(ctx, u, USSDNoAnswer, true)
	return sc, ErrUSSDNoAnswer
}

// touchLocked restarts u's timeout. Called with s.mu held.
func (s *Simulator) touchLocked(u *ussdSession) {
	u.idle = time.Now().Add(s.ussdTimeout)
	u.timer.Reset(s.ussdTimeout)
}

// ussdTimedOut ends u when its timer fires, unless it was restarted in
// the meantime: the network releases the session towards the gateway.
func (s *Simulator) ussdTimedOut(u *ussdSession) {
	s.mu.Lock()
	if !u.open || time.Now().Before(u.idle) {
		s.mu.Unlock()
		return
	}
	seq := u.seq + 1
	s.closeUSSDLocked(u, USSDTimeout)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.release(ctx, u, seq)
}

// freeSessionNumLocked returns the next session number not in use.
func (s *Simulator) freeSessionNumLocked() (uint8, bool) {
	for range 256 {
		n := s.ussdNext
		s.ussdNext++
		if s.ussdByNum[n] == nil {
			return n, true
		}
	}
	return 0, false
}
