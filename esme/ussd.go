package esme

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// USSDGateway is the optional part of a Gateway that answers USSD screens
// (*smsgw.Gateway implements it). The ESME keeps the inputs of each
// network session and asks for the screen of the whole session on every
// message; a Gateway without it gets USSD messages as MOs of channel ussd.
type USSDGateway interface {
	USSD(ctx context.Context, req smsgw.USSDRequest) (smsgw.USSDScreen, error)
}

// USSDObserver counts answered USSD screens: end says the screen closed
// the session, failed that the gateway could not make it.
type USSDObserver interface {
	USSDScreen(channel string, end, failed bool, d time.Duration)
}

// USSDMode is how a bind's SMSC marks USSD.
type USSDMode string

// USSD modes.
const (
	// USSDServiceOp: a deliver_sm (or data_sm) with the ussd_service_op TLV
	// is USSD, its operation says whether it opens a session (PSSR
	// indication) or answers a screen (USSR confirm). The default.
	USSDServiceOp USSDMode = "service_op"
	// USSDServiceType: service_type "USSD" marks USSD and there is no
	// operation: a text that reads as a dial string (*9779#) opens a
	// session, any other answers the open one.
	USSDServiceType USSDMode = "service_type"
	// USSDOff: the SMSC sends no USSD; everything is SMS.
	USSDOff USSDMode = "off"
)

// DefaultUSSDLifetime is how long a network session lasts without a new
// message before the ESME forgets it.
const DefaultUSSDLifetime = 180 * time.Second

// maxUSSDSessions bounds the sessions kept; the oldest go first.
const maxUSSDSessions = 100_000

// ussdSession is one network session: what was dialled and typed.
type ussdSession struct {
	id     string // the session id given to the gateway
	dial   string
	inputs []string
	info   *pdu.ITSSessionInfo // as last received, to echo
	seen   time.Time
	pssd   bool // opened by a PSSD indication: the last screen is a PSSD response
}

// ussdSessions holds the open network sessions of all binds.
type ussdSessions struct {
	mu       sync.Mutex
	m        map[string]*ussdSession
	lifetime time.Duration
}

func (s *ussdSessions) get(key string, now time.Time) *ussdSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.m[key]
	if u != nil && now.Sub(u.seen) >= s.lifetime {
		delete(s.m, key)
		return nil
	}
	return u
}

func (s *ussdSessions) put(key string, u *ussdSession, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*ussdSession{}
	}
	if len(s.m) >= maxUSSDSessions {
		for k, v := range s.m {
			if now.Sub(v.seen) >= s.lifetime {
				delete(s.m, k)
			}
		}
		for k := range s.m { // still full: drop any
			if len(s.m) < maxUSSDSessions {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[key] = u
}

func (s *ussdSessions) drop(key string) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// ussdOp returns the USSD operation of an inbound message on b and whether
// it is USSD at all, by b's mode.
func (b *bind) ussdOp(f moFields, msg string) (uint8, bool) {
	switch b.USSD {
	case USSDOff:
		return 0, false
	case USSDServiceType:
		if !strings.EqualFold(strings.TrimSpace(f.serviceType), "USSD") {
			return 0, false
		}
		if op, ok := f.tlvs.Uint8(pdu.TagUSSDServiceOp); ok {
			return op, true
		}
		if m := strings.TrimSpace(msg); strings.HasPrefix(m, "*") && strings.HasSuffix(m, "#") {
			return pdu.USSDOpPSSRIndication, true
		}
		return pdu.USSDOpUSSRConfirm, true
	default:
		op, ok := f.tlvs.Uint8(pdu.TagUSSDServiceOp)
		return op, ok
	}
}

// ussd handles one USSD message: it opens, continues or closes the network
// session and sends the gateway's screen back on the same bind once the
// message is acknowledged. Nothing here is stored: a USSD session lives in
// the network for a few minutes; what the menu does (a top-up request, a
// PIN) the gateway stores itself before it answers.
func (e *ESME) ussd(ctx context.Context, b *bind, gw USSDGateway, f moFields, op uint8, msg string) error {
	now := e.now()
	info, hasInfo := f.tlvs.ITSSessionInfo()
	key := b.Name + "|" + f.source
	if hasInfo {
		key += "|" + strconv.Itoa(int(info.Session))
	}
	u := e.ussdSess.get(key, now)
	// id names a network session to the gateway, unique to this process.
	id := e.nonce + "-" + b.Name + "-" + f.source + "-" + now.Format("150405.000")
	switch {
	case op == pdu.USSDOpPSSRIndication || op == pdu.USSDOpPSSDIndication:
		// A dial: a new session, also when one was open (a new dial
		// replaces it).
		u = &ussdSession{id: id, dial: strings.TrimSpace(msg), pssd: op == pdu.USSDOpPSSDIndication}
	case op == pdu.USSDOpUSSRConfirm && !(hasInfo && info.End):
		if u == nil {
			// The session was forgotten (timed out here, or this daemon
			// restarted): start from the menu of the service dialled.
			u = &ussdSession{id: id, dial: "*" + strings.Trim(f.dest, "*#") + "#"}
		} else {
			u.inputs = append(u.inputs, strings.TrimSpace(msg))
		}
	default:
		// A release (vendor abort, the end flag) or an operation an ESME
		// does not answer: the session is over.
		e.ussdSess.drop(key)
		e.log.Info("USSD session released by the network", "bind", b.Name, "msisdn", maskAddr(f.source), "op", op)
		return nil
	}
	u.seen = now
	if hasInfo {
		u.info = &info
	}
	req := smsgw.USSDRequest{Session: u.id, MSISDN: f.source, ServiceCode: u.dial, Inputs: u.inputs, Route: b.route.name}
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, e.ussdTimeout)
	sc, err := gw.USSD(sctx, req)
	cancel()
	if err != nil {
		e.log.Error("USSD screen failed; the session is closed", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
		sc = smsgw.USSDScreen{Text: USSDErrorText, End: true}
	}
	if e.ussdObs != nil {
		e.ussdObs.USSDScreen("smpp", sc.End, err != nil, time.Since(start))
	}
	if sc.End {
		e.ussdSess.drop(key)
	} else {
		e.ussdSess.put(key, u, now)
	}
	answer := e.ussdAnswer(b, f, u, sc)
	// The screen leaves once the message is acknowledged.
	smpp.AfterResponse(ctx, func() {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			rt := b.Client.ResponseTimeout
			if rt <= 0 {
				rt = smpp.DefaultResponseTimeout
			}
			// The screen belongs to the session on this bind: it waits
			// for the bind (a rebind in progress) rather than fail over.
			sctx, cancel := context.WithTimeout(smpp.WaitForBind(context.Background()), rt+time.Second)
			defer cancel()
			var err error
			if dsm, ok := answer.(*pdu.DataSM); ok {
				_, err = b.client.Send(sctx, dsm)
			} else {
				_, err = b.client.Submit(sctx, answer.(*pdu.SubmitSM))
			}
			if err != nil {
				e.log.Warn("USSD screen not sent", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
			}
		}()
	})
	return nil
}

// USSDErrorText ends a session whose screen the gateway could not make.
const USSDErrorText = "Maaf, layanan sedang sibuk. Silakan coba lagi beberapa saat lagi."

// ussdAnswer builds the submit_sm (or data_sm, for a message that came as
// one) carrying screen sc back to the subscriber: a USSR request when the
// session goes on, a PSSR response when it ends, echoing the session
// number with the next sequence.
func (e *ESME) ussdAnswer(b *bind, f moFields, u *ussdSession, sc smsgw.USSDScreen) pdu.PDU {
	dcs, data, err := text.Encode(sc.Text, b.Text)
	if err != nil { // a screen the SMSC's alphabet cannot carry: UCS-2
		dcs, data = 0x08, text.EncodeUCS2(sc.Text)
	}
	var tlvs pdu.TLVs
	op := pdu.USSDOpUSSRRequest
	switch {
	case sc.End && u.pssd:
		op = pdu.USSDOpPSSDResponse
	case sc.End:
		op = pdu.USSDOpPSSRResponse
	}
	if b.USSD != USSDServiceType {
		tlvs.SetUint8(pdu.TagUSSDServiceOp, op)
	}
	if u.info != nil {
		tlvs.SetITSSessionInfo(pdu.ITSSessionInfo{Session: u.info.Session, Sequence: u.info.Sequence + 1, End: sc.End})
	}
	if f.dataSM {
		dsm := &pdu.DataSM{Header: pdu.Header{ID: pdu.DataSMID}, ServiceType: "USSD", DataCoding: dcs}
		dsm.SourceAddrTON, dsm.SourceAddrNPI, dsm.SourceAddr = b.SourceTON, b.SourceNPI, f.dest
		dsm.DestAddrTON, dsm.DestAddrNPI, dsm.DestinationAddr = f.sourceTON, f.sourceNPI, f.source
		dsm.TLVs = append(tlvs, pdu.TLV{Tag: pdu.TagMessagePayload, Value: data})
		return dsm
	}
	sm := &pdu.SubmitSM{}
	sm.ServiceType, sm.DataCoding, sm.TLVs = "USSD", dcs, tlvs
	sm.SourceAddrTON, sm.SourceAddrNPI, sm.SourceAddr = b.SourceTON, b.SourceNPI, f.dest
	sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = f.sourceTON, f.sourceNPI, f.source
	if len(data) <= 254 {
		sm.ShortMessage = data
	} else {
		sm.TLVs.Set(pdu.TagMessagePayload, data)
	}
	return sm
}
