package smsgw

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// USSD is the second channel of the same engine: a subscriber dials the
// service code (*9779#) and walks a menu of screens. The menu keeps no
// state of its own: every screen request carries all the inputs of the
// network session so far (the aggregator convention; a transport that
// gets them one at a time keeps them per session), and the gateway walks
// them from the first screen. Navigation (menu choices, the account, the
// nominal) writes nothing. The inputs that act, choosing a nominal (a
// top-up request), typing the PIN, asking for the balance or the history,
// are handled exactly as the SMS commands they stand for (IM2PAY, the PIN
// reply, SALDO, RIWAYAT, BATAL): stored in the SMS log with channel ussd
// (the PIN redacted), processed in the same transaction with the same
// rules, sessions, lockout, abuse limits, ledger and audit, and answered
// on the screen instead of by SMS. A USSD top-up also sends the result SMS.

// USSD screen replies (see DefaultReplies).
const (
	ReplyUSSDMenu        = "ussd_menu"
	ReplyUSSDAccount     = "ussd_account"
	ReplyUSSDNominal     = "ussd_nominal"
	ReplyUSSDPIN         = "ussd_pin"
	ReplyUSSDWrongPIN    = "ussd_wrong_pin"
	ReplyUSSDSuccess     = "ussd_success"
	ReplyUSSDUnknownAcct = "ussd_unknown_account"
	ReplyUSSDRetry       = "ussd_retry"
	ReplyUSSDGiveUp      = "ussd_give_up"
	ReplyUSSDBye         = "ussd_bye"
	ReplyUSSDTooMany     = "ussd_too_many_accounts"
	ReplyUSSDWrongCode   = "ussd_wrong_code"
)

// MaxUSSDScreen is the most characters one USSD screen holds (GSM 7-bit).
const MaxUSSDScreen = 182

// maxUSSDInputs bounds the inputs of one network session.
const maxUSSDInputs = 24

// USSDRequest is one screen request of a USSD network session.
type USSDRequest struct {
	Session     string // network session id
	MSISDN      string // the subscriber
	ServiceCode string // what was dialled: "*9779#", or with arguments "*9779*08110000002*50000#"
	// Inputs are what the subscriber typed on each screen since dialling,
	// oldest first (not counting the dial string).
	Inputs []string
	// Route is the route (operator) whose network carries the session ("" for
	// none): the SMS a top-up confirmed on it sends leaves through it.
	Route string
}

// USSDScreen is the answer to a USSDRequest: a screen of at most
// MaxUSSDScreen characters, and whether it ends the session (End) or waits
// for an input.
type USSDScreen struct {
	Text string
	End  bool
}

// NominalLine is one choice of the nominal screen.
type NominalLine struct {
	N      int
	Amount string // grouped, e.g. "50.000"
}

// ussdStep is a screen of the menu.
type ussdStep int

const (
	stepMenu ussdStep = iota
	stepAccount
	stepNominal
	stepPIN
)

// ussdPos is where the inputs of a session lead.
type ussdPos struct {
	step    ussdStep
	account domain.MSISDN
	amount  domain.Amount
	bad     int    // invalid inputs in a row on this screen
	end     string // the session ends with this reply (set by the last input)
	// cmd is the SMS command the last input stands for, sent to code; ""
	// when the last input only navigates.
	cmd, code string
	note      string // a line shown above the screen (an invalid input)
}

// USSD answers one screen request. Errors are for the transport (a store
// failure, a request that is not for this service): it ends the session
// with a text of its own.
func (g *Gateway) USSD(ctx context.Context, req USSDRequest) (USSDScreen, error) {
	r := g.rules.Load()
	from, err := keywords.NormalizeMSISDN(req.MSISDN)
	if err != nil {
		return USSDScreen{}, Errorf(EInvalid, "USSD request from %q: %v", req.MSISDN, err)
	}
	dial, err := keywords.ParseDial(req.ServiceCode)
	if err != nil {
		return USSDScreen{}, Errorf(EInvalid, "USSD service code %q: %v", req.ServiceCode, err)
	}
	if dial.Code != r.RequestCode {
		return g.ussdEnd(r, ReplyUSSDWrongCode)
	}
	inputs := dialInputs(dial.Args)
	if len(inputs)+len(req.Inputs) > maxUSSDInputs {
		return g.ussdEnd(r, ReplyUSSDGiveUp)
	}
	inputs = append(inputs, req.Inputs...)
	pos, err := g.walkUSSD(ctx, r, inputs)
	if err != nil {
		return USSDScreen{}, err
	}
	if pos.end != "" {
		return g.ussdEnd(r, pos.end)
	}
	if pos.cmd != "" {
		return g.ussdCommand(ctx, r, from, req, pos)
	}
	return g.ussdShow(r, pos)
}

// dialInputs turns the arguments of a dial string into the inputs they
// stand for: a menu choice as it is; an account (or anything longer than a
// choice) as choosing "1 Isi saldo" and typing it.
func dialInputs(args []string) []string {
	if len(args) == 0 || len(args[0]) <= 2 {
		return args
	}
	return append([]string{"1"}, args...)
}

// walkUSSD follows inputs from the first screen. Only the last input may
// act (pos.cmd): the ones before it were answered already, each by a
// screen that asked for the next.
func (g *Gateway) walkUSSD(ctx context.Context, r *Rules, inputs []string) (ussdPos, error) {
	var pos ussdPos
	for i, in := range inputs {
		last := i == len(inputs)-1
		if in == "00" {
			if pos.step == stepPIN && last {
				pos.cmd, pos.code = keywords.KeywordCancel, r.RequestCode
				return pos, nil
			}
			pos.end = ReplyUSSDBye
			return pos, nil
		}
		valid, err := g.ussdInput(ctx, r, &pos, in, last)
		if err != nil || pos.end != "" || pos.cmd != "" {
			return pos, err
		}
		if valid {
			pos.bad, pos.note = 0, ""
			continue
		}
		if pos.bad++; pos.bad >= 2 {
			pos.end = ReplyUSSDGiveUp
			return pos, nil
		}
		if pos.note == "" {
			pos.note = ReplyUSSDRetry
		}
	}
	return pos, nil
}

// ussdInput applies one input to pos and reports whether it was valid. An
// input that acts sets pos.cmd when it is the last one, and moves on as its
// answer did when it is not.
func (g *Gateway) ussdInput(ctx context.Context, r *Rules, pos *ussdPos, in string, last bool) (bool, error) {
	switch pos.step {
	case stepMenu:
		switch in {
		case "1":
			pos.step = stepAccount
		case "2":
			pos.cmd, pos.code = keywords.KeywordBalance, r.RequestCode
		case "3":
			pos.cmd, pos.code = keywords.KeywordHistory, r.RequestCode
		case "0":
			pos.end = ReplyUSSDBye
		default:
			return false, nil
		}
		if !last && pos.cmd != "" { // answered and ended already: a stale chain
			pos.cmd, pos.end = "", ReplyUSSDGiveUp
		}
		return true, nil
	case stepAccount:
		if in == "0" {
			pos.step = stepMenu
			return true, nil
		}
		acct, err := keywords.NormalizeMSISDN(in)
		if err != nil {
			return false, nil
		}
		known, err := g.walletExists(ctx, acct)
		if err != nil {
			return false, err
		}
		if !known {
			pos.note, pos.account = ReplyUSSDUnknownAcct, acct
			return false, nil
		}
		pos.step, pos.account = stepNominal, acct
		return true, nil
	case stepNominal:
		if in == "0" {
			pos.step = stepAccount
			return true, nil
		}
		amount, ok := nominalOf(r, in)
		if !ok {
			return false, nil
		}
		pos.amount = amount
		if last {
			pos.cmd = fmt.Sprintf("%s %s %d", keywords.KeywordPay, pos.account, amount)
			pos.code = r.RequestCode
			return true, nil
		}
		pos.step = stepPIN // its answer asked for the PIN
		return true, nil
	default: // stepPIN
		if in == "0" {
			if last {
				pos.cmd, pos.code = keywords.KeywordCancel, r.RequestCode
			} else {
				pos.end = ReplyUSSDGiveUp
			}
			return true, nil
		}
		if _, err := r.Keywords.ParsePIN(in); err != nil {
			return false, nil
		}
		if last {
			pos.cmd, pos.code = in, r.PINCode
		}
		return true, nil // a PIN before the last one was wrong: asked again
	}
}

// nominalOf reads the nominal screen's input: the number of a listed
// nominal, or an amount (the only way when the rules set a range).
func nominalOf(r *Rules, in string) (domain.Amount, bool) {
	allowed := r.Keywords.Rules().Allowed
	if n, err := strconv.Atoi(in); err == nil && n >= 1 && n <= len(allowed) && len(in) <= 2 {
		return allowed[n-1], true
	}
	a, err := keywords.ParseAmount(in)
	if err != nil || r.Keywords.CheckAmount(a) != nil {
		return 0, false
	}
	return a, true
}

func (g *Gateway) walletExists(ctx context.Context, m domain.MSISDN) (bool, error) {
	var known bool
	err := g.store.View(ctx, func(tx Tx) error {
		_, err := tx.Account(domain.WalletID(m))
		switch ErrorCode(err) {
		case "":
			known = true
		case ENotFound:
		default:
			return err
		}
		return nil
	})
	return known, err
}

// ussdShow renders the screen pos is on.
func (g *Gateway) ussdShow(r *Rules, pos ussdPos) (USSDScreen, error) {
	var d ReplyData
	name := ReplyUSSDMenu
	switch pos.step {
	case stepAccount:
		name = ReplyUSSDAccount
	case stepNominal:
		name = ReplyUSSDNominal
		d.Account = pos.account.Local()
		rules := r.Keywords.Rules()
		for i, a := range rules.Allowed {
			d.Nominals = append(d.Nominals, NominalLine{N: i + 1, Amount: a.Grouped()})
		}
		d.Min, d.Max = rules.Min.Grouped(), rules.Max.Grouped()
	case stepPIN:
		name = ReplyUSSDPIN
		d.Account, d.Amount = pos.account.Local(), pos.amount.Grouped()
	}
	text, err := g.ussdText(r, name, d)
	if err != nil {
		return USSDScreen{}, err
	}
	if pos.note != "" {
		note, err := g.ussdText(r, pos.note, ReplyData{Account: pos.account.Local()})
		if err != nil {
			return USSDScreen{}, err
		}
		text = fitScreen(note + "\n" + text)
	}
	return USSDScreen{Text: text}, nil
}

func (g *Gateway) ussdEnd(r *Rules, name string) (USSDScreen, error) {
	text, err := g.ussdText(r, name, ReplyData{})
	return USSDScreen{Text: text, End: true}, err
}

// ussdText renders reply name for a screen.
func (g *Gateway) ussdText(r *Rules, name string, d ReplyData) (string, error) {
	text, err := r.render(name, d)
	if err != nil {
		return "", err
	}
	return fitScreen(text), nil
}

// fitScreen cuts text to MaxUSSDScreen characters, at a word where it can.
func fitScreen(text string) string {
	if utf8.RuneCountInString(text) <= MaxUSSDScreen {
		return text
	}
	runes := []rune(text)[:MaxUSSDScreen-3]
	cut := string(runes)
	if i := strings.LastIndexAny(cut, " \n"); i > MaxUSSDScreen/2 {
		cut = cut[:i]
	}
	return cut + "..."
}

// ussdReplies maps the replies of the SMS commands to screens: a reply of
// its own, or the SMS text itself; and whether the session goes on.
var ussdReplies = map[string]struct {
	screen string // "" shows the SMS reply's text
	more   bool
}{
	ReplyPINPrompt:       {ReplyUSSDPIN, true},
	ReplyWrongPIN:        {ReplyUSSDWrongPIN, true},
	ReplySuccess:         {ReplyUSSDSuccess, false},
	ReplyTooManyAccounts: {ReplyUSSDTooMany, false},
}

// ussdCommand runs the SMS command the last input stands for, as an MO of
// channel ussd processed at once, and shows its answer.
func (g *Gateway) ussdCommand(ctx context.Context, r *Rules, from domain.MSISDN, req USSDRequest, pos ussdPos) (USSDScreen, error) {
	var (
		f      *flow
		screen USSDScreen
	)
	err := g.store.Update(ctx, func(tx Tx) error {
		f, screen = nil, USSDScreen{}
		mo := MO{From: string(from), To: pos.code, Text: pos.cmd, Channel: ChannelUSSD, USSDSession: req.Session, ReceivedAt: g.now(), Route: req.Route}
		m := g.inbound(&mo)
		secret, err := g.storeMO(tx, r, m, false)
		if err != nil {
			return err
		}
		var said []capturedReply
		if f, err = g.processIn(tx, r, InboundMO{Message: *m, Secret: secret}, &said); err != nil {
			return err
		}
		if len(said) == 0 { // nothing to say: an MO the engine keeps quiet on
			screen, err = g.ussdEnd(r, ReplyUSSDBye)
			return err
		}
		reply := said[len(said)-1]
		show, known := ussdReplies[reply.name]
		if !known {
			show.screen = reply.name
		}
		text, err := g.ussdText(r, show.screen, reply.data)
		if err != nil {
			return err
		}
		screen = USSDScreen{Text: text, End: !show.more}
		// The screen goes into the SMS log as shown.
		mt := &Message{
			Direction: DirOut, Channel: ChannelUSSD, ShortCode: r.RequestCode, MSISDN: from, Text: text,
			Template: show.screen, Status: MsgQueued, SessionID: f.session, TransferID: f.xfer,
			USSDSession: req.Session, Route: req.Route, NextAttempt: g.now(), CreatedAt: g.now(),
		}
		if err := tx.EnqueueMT(mt); err != nil {
			return err
		}
		return tx.MarkMTSent(mt.ID, nil, g.now())
	})
	if err != nil {
		what := "PIN reply" // never the PIN itself
		if pos.code != r.PINCode {
			what = strings.Fields(pos.cmd)[0]
		}
		return USSDScreen{}, fmt.Errorf("USSD %s: %w", what, err)
	}
	g.stats.MOStored.Add(1)
	g.report(f)
	g.wake(g.wakeMT)
	return screen, nil
}

// capturedReply is a reply of a flow run for a USSD screen.
type capturedReply struct {
	from, name string
	data       ReplyData
}
