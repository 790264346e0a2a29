package esme_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

const ussdPIN = "246810"

// ussdNet plays the network side of USSD sessions on an SMSC.
type ussdNet struct {
	t    *testing.T
	srv  *smpptest.Server
	seen int // submissions read so far
}

// send delivers one USSD message and returns the screen the ESME answers
// with: its text, ussd_service_op and its_session_info.
func (n *ussdNet) send(op uint8, msg string, info *pdu.ITSSessionInfo, serviceType string) (string, uint8, pdu.ITSSessionInfo) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(n.t.Context(), 10*time.Second)
	defer cancel()
	u := smpptest.USSD{From: customer, To: request, Text: msg, Op: op, Session: info, ServiceType: serviceType}
	if serviceType != "" && serviceType != "USSD" {
		u.ServiceType = serviceType
	}
	var (
		st  pdu.Status
		err error
	)
	if serviceType == "USSD-noop" { // service_type USSD without the operation TLV
		d, berr := n.srv.USSDPDU(u)
		if berr != nil {
			n.t.Fatal(berr)
		}
		d.ServiceType = "USSD"
		d.TLVs.Del(pdu.TagUSSDServiceOp)
		st, err = n.srv.DeliverTo(ctx, "", d)
	} else {
		st, err = n.srv.DeliverUSSD(ctx, u)
	}
	if err != nil || st != pdu.StatusOK {
		n.t.Fatalf("deliver USSD %q: %v %v", msg, st, err)
	}
	subs, err := n.srv.WaitSubmitted(ctx, n.seen+1)
	if err != nil {
		n.t.Fatalf("no screen after %q: %v", msg, err)
	}
	s := subs[n.seen]
	n.seen = len(subs)
	txt, err := s.Text()
	if err != nil {
		n.t.Fatal(err)
	}
	if s.Destination() != customer || s.Source() != request || s.SubmitSM.ServiceType != "USSD" {
		n.t.Errorf("screen from %q to %q service type %q", s.Source(), s.Destination(), s.SubmitSM.ServiceType)
	}
	gotOp, _ := s.TLVs().Uint8(pdu.TagUSSDServiceOp)
	gotInfo, _ := s.TLVs().ITSSessionInfo()
	return txt, gotOp, gotInfo
}

func ussdSetup(t *testing.T, mode esme.USSDMode) (*ussdNet, *realGateway) {
	t.Helper()
	srv := newSMSC(t, text.Options{})
	ls := &lateSender{}
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), ls)
	ctx := t.Context()
	if err := g.gw.AddCustomer(ctx, customer, customer, "Pelanggan", domain.PIN(ussdPIN)); err != nil {
		t.Fatal(err)
	}
	b := bindTo(srv, "smsc")
	b.USSD = mode
	e, _ := runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{b}})
	ls.e.Store(e)
	return &ussdNet{t: t, srv: srv}, g
}

// A top-up over SMPP USSD: PSSR indication opens the session, each screen
// goes back as a USSR request echoing the session number with the next
// sequence, the last as a PSSR response with the end flag; the wallet is
// credited and the PIN input stored redacted.
func TestUSSDTopUpOverSMPP(t *testing.T) {
	n, g := ussdSetup(t, esme.USSDServiceOp)
	info := &pdu.ITSSessionInfo{Session: 7}
	txt, op, got := n.send(smpptest.USSDOpPSSRIndication, "*9779#", info, "")
	if !strings.Contains(txt, "1 Isi saldo") || op != smpptest.USSDOpUSSRRequest || got.Session != 7 || got.Sequence != 1 || got.End {
		t.Fatalf("first screen %q op %d info %+v", txt, op, got)
	}
	for _, step := range []struct{ in, want string }{{"1", "Account-ID"}, {customer, "Pilih nominal"}, {"1", "Masukkan PIN"}} {
		info.Sequence += 2
		txt, op, _ = n.send(smpptest.USSDOpUSSRConfirm, step.in, info, "")
		if !strings.Contains(txt, step.want) || op != smpptest.USSDOpUSSRRequest {
			t.Fatalf("after %q: screen %q op %d, want %q", step.in, txt, op, step.want)
		}
	}
	info.Sequence += 2
	txt, op, got = n.send(smpptest.USSDOpUSSRConfirm, ussdPIN, info, "")
	if !strings.Contains(txt, "BERHASIL") || op != smpptest.USSDOpPSSRResponse || !got.End || got.Session != 7 {
		t.Fatalf("last screen %q op %d info %+v, want the result, PSSR response, end", txt, op, got)
	}
	var saw bool
	for _, m := range g.messages(t, smsgw.DirIn) {
		if strings.Contains(m.Text, ussdPIN) {
			t.Errorf("PIN in clear in the SMS log: %q", m.Text)
		}
		saw = saw || m.Channel == smsgw.ChannelUSSD && m.ShortCode == pinCode
	}
	if !saw {
		t.Error("no USSD PIN input in the SMS log")
	}
	w, _, err := g.gw.Wallet(t.Context(), customer, 1)
	if err != nil || w.Balance != 50000 {
		t.Errorf("wallet %+v %v, want Rp50.000", w, err)
	}
}

// service_type "USSD" without an operation: a dial string opens the
// session, other texts answer it; the screens carry no operation TLV.
func TestUSSDServiceTypeMode(t *testing.T) {
	n, _ := ussdSetup(t, esme.USSDServiceType)
	txt, op, _ := n.send(0, "*9779#", nil, "USSD-noop")
	if !strings.Contains(txt, "1 Isi saldo") || op != 0 {
		t.Fatalf("first screen %q op %d", txt, op)
	}
	txt, _, _ = n.send(0, "2", nil, "USSD-noop")
	if !strings.Contains(txt, "Saldo i-Pay") {
		t.Fatalf("balance screen %q", txt)
	}
}

// A new dial replaces the open session; a released session is forgotten,
// and an answer to a forgotten session starts from the menu.
func TestUSSDNewDialAndRelease(t *testing.T) {
	n, _ := ussdSetup(t, esme.USSDServiceOp)
	info := &pdu.ITSSessionInfo{Session: 3}
	n.send(smpptest.USSDOpPSSRIndication, "*9779#", info, "")
	n.send(smpptest.USSDOpUSSRConfirm, "1", info, "")
	txt, _, _ := n.send(smpptest.USSDOpPSSRIndication, "*9779#", info, "")
	if !strings.Contains(txt, "1 Isi saldo") {
		t.Fatalf("new dial: %q, want the menu", txt)
	}
	// Released by the network: no answer.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if st, err := n.srv.DeliverUSSD(ctx, smpptest.USSD{From: customer, To: request, Text: "", Op: 0x81, Session: info}); err != nil || st != pdu.StatusOK {
		t.Fatalf("release: %v %v", st, err)
	}
	time.Sleep(200 * time.Millisecond)
	if subs := n.srv.Submitted(); len(subs) != n.seen {
		t.Errorf("%d screens after a release", len(subs)-n.seen)
	}
	txt, _, _ = n.send(smpptest.USSDOpUSSRConfirm, "2", info, "")
	if !strings.Contains(txt, "1 Isi saldo") {
		t.Errorf("answer to a released session: %q, want the menu again", txt)
	}
}

// An SMSC that carries USSD in data_sm gets its screens back as data_sm.
func TestUSSDOverDataSM(t *testing.T) {
	n, _ := ussdSetup(t, esme.USSDServiceOp)
	send := func(op uint8, msg string) (string, uint8, pdu.ITSSessionInfo) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		d := &pdu.DataSM{Header: pdu.Header{ID: pdu.DataSMID}, ServiceType: "USSD", SourceAddr: customer, DestinationAddr: request}
		d.TLVs.Set(pdu.TagMessagePayload, []byte(msg))
		d.TLVs.SetUint8(pdu.TagUSSDServiceOp, op)
		d.TLVs.SetITSSessionInfo(pdu.ITSSessionInfo{Session: 9, Sequence: uint8(2 * n.seen)})
		resp, err := n.srv.Send(ctx, d)
		if err != nil || resp.(*pdu.DataSMResp).Header.Status != pdu.StatusOK {
			t.Fatalf("data_sm %q: %v %v", msg, resp, err)
		}
		subs, err := n.srv.WaitSubmitted(ctx, n.seen+1)
		if err != nil {
			t.Fatal(err)
		}
		s := subs[n.seen]
		n.seen = len(subs)
		if s.DataSM == nil || s.DataSM.ServiceType != "USSD" || s.Destination() != customer {
			t.Fatalf("screen not a USSD data_sm to %s: %+v", customer, s)
		}
		txt, terr := s.Text()
		if terr != nil {
			t.Fatal(terr)
		}
		gotOp, _ := s.TLVs().Uint8(pdu.TagUSSDServiceOp)
		info, _ := s.TLVs().ITSSessionInfo()
		return txt, gotOp, info
	}
	if txt, op, info := send(smpptest.USSDOpPSSRIndication, "*9779#"); !strings.Contains(txt, "1 Isi saldo") || op != smpptest.USSDOpUSSRRequest || info.Session != 9 {
		t.Fatalf("first screen %q op %d info %+v", txt, op, info)
	}
	if txt, op, info := send(smpptest.USSDOpUSSRConfirm, "2"); !strings.Contains(txt, "Saldo i-Pay") || op != smpptest.USSDOpPSSRResponse || !info.End {
		t.Fatalf("balance screen %q op %d info %+v", txt, op, info)
	}
}

// A session with no message for USSDLifetime is forgotten: an answer to it
// starts at the menu again.
func TestUSSDSessionLifetime(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	ls := &lateSender{}
	g := openGateway(t, filepath.Join(t.TempDir(), "gw.db"), ls)
	if err := g.gw.AddCustomer(t.Context(), customer, customer, "Pelanggan", domain.PIN(ussdPIN)); err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e, _ := runESME(t, srv, g.gw, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "smsc")}, Now: now, USSDLifetime: time.Minute})
	ls.e.Store(e)
	n := &ussdNet{t: t, srv: srv}
	info := &pdu.ITSSessionInfo{Session: 1}
	n.send(smpptest.USSDOpPSSRIndication, "*9779#", info, "")
	if txt, _, _ := n.send(smpptest.USSDOpUSSRConfirm, "1", info, ""); !strings.Contains(txt, "Account-ID") {
		t.Fatalf("within the lifetime: %q", txt)
	}
	clock.Add(int64(61 * time.Second))
	if txt, _, _ := n.send(smpptest.USSDOpUSSRConfirm, customer, info, ""); !strings.Contains(txt, "1 Isi saldo") {
		t.Errorf("after the lifetime: %q, want the menu again", txt)
	}
}

// A session opened by a PSSD indication (phase 1 handsets) ends with a
// PSSD response.
func TestUSSDPSSD(t *testing.T) {
	n, _ := ussdSetup(t, esme.USSDServiceOp)
	txt, op, _ := n.send(smpptest.USSDOpPSSDIndication, "*9779*2#", nil, "")
	if !strings.Contains(txt, "Saldo i-Pay") || op != smpptest.USSDOpPSSDResponse {
		t.Errorf("answer to a PSSD indication: %q op %d, want the balance as a PSSD response (16)", txt, op)
	}
}
