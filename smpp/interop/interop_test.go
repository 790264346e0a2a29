package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
)

// Test data. The expected octets are written out here or computed with the
// standard library, never with smpp/text, so that the peers and these
// constants are the only references.
const (
	systemID = "smsgw"
	password = "s3cret"

	// gsmText has extension characters (each 1B xx) and '@' (0x00).
	gsmText = "Price: €5 {promo} @shop"
	// gsmHex is gsmText in GSM 03.38, unpacked (the submit_sm_gsm7 vector
	// of smpp/pdu/testdata/smpp-vectors.json).
	gsmHex = "50726963653a201b6535201b2870726f6d6f1b29200073686f70"

	// moGSMText ends with '@', so short_message ends with a 0x00 octet.
	moGSMText = "BAL €5 {x} home@"
	moGSMHex  = "42414c201b6535201b28781b2920686f6d6500"

	ussdText = "*123*5#"
	ussdHex  = "2a3132332a3523"

	msisdn    = "447700900123"
	shortCode = "1234"
	sender    = "INFO"
)

// vendorTLVs are TLVs SMPP 3.4 does not define (a vendor tag, and
// congestion_state from SMPP 5.0): they must pass through as raw octets.
var vendorTLVs = []map[string]any{{"tag": 0x1400, "hex": "07"}, {"tag": 0x0428, "hex": "32"}}

// wantVendorTLVs is vendorTLVs as the codec keeps them.
var wantVendorTLVs = pdu.TLVs{{Tag: 0x1400, Value: []byte{0x07}}, {Tag: 0x0428, Value: []byte{0x32}}}

func equalTLVs(a, b pdu.TLVs) bool {
	return slices.EqualFunc(a, b, func(x, y pdu.TLV) bool { return x.Tag == y.Tag && bytes.Equal(x.Value, y.Value) })
}

// longUCS2 needs UCS-2 (Cyrillic, €, an emoji) and three concatenated parts.
// Its first 66 UTF-16 units are BMP characters and the emoji's surrogate pair
// takes units 66 and 67, so a splitter that cuts at 67 units without looking
// at surrogates breaks the pair.
const longUCS2 = longPrefix + "😀 Номер операции 4711, остаток на счёте 1 234,50 €. Хорошего дня и до встречи — ваш банк"

const longPrefix = "Платёж на 1 500 € принят. Спасибо, что выбрали наш сервис, друзья "

// utf16be encodes s as UTF-16BE with the standard library only.
func utf16be(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.BigEndian.PutUint16(b[2*i:], u)
	}
	return b
}

func TestLongTextLayout(t *testing.T) {
	if n := len(utf16.Encode([]rune(longPrefix))); n != 66 {
		t.Fatalf("len(utf16(longPrefix)) = %d, want 66", n)
	}
	if n := len(utf16be(longUCS2)) / 2; n <= 2*67 || n > 3*66 {
		t.Fatalf("len(utf16(longUCS2)) = %d units, want 135..198 (three parts in every mode)", n)
	}
}

// concatInfo extracts the concatenation values of a part as a peer recorded
// it: from the UDH (IEI 0x00 or 0x08, parsed here by hand) or the sar_* TLVs.
func concatInfo(e event, mode text.Concat) (ref, total, seq int, err error) {
	udh, err := hex.DecodeString(e.UDH)
	if err != nil {
		return 0, 0, 0, err
	}
	switch mode {
	case text.ConcatUDH8:
		if len(udh) != 6 || !bytes.Equal(udh[:3], []byte{0x05, 0x00, 0x03}) {
			return 0, 0, 0, fmt.Errorf("UDH %s, want 05 00 03 ref total seq", e.UDH)
		}
		return int(udh[3]), int(udh[4]), int(udh[5]), nil
	case text.ConcatUDH16:
		if len(udh) != 7 || !bytes.Equal(udh[:3], []byte{0x06, 0x08, 0x04}) {
			return 0, 0, 0, fmt.Errorf("UDH %s, want 06 08 04 ref(2) total seq", e.UDH)
		}
		return int(binary.BigEndian.Uint16(udh[3:])), int(udh[5]), int(udh[6]), nil
	case text.ConcatSAR:
		if len(udh) != 0 {
			return 0, 0, 0, fmt.Errorf("UDH %s with sar_* TLVs", e.UDH)
		}
		var tags []uint16
		for _, tlv := range e.TLVs {
			tags = append(tags, uint16(tlv.Tag))
		}
		slices.Sort(tags)
		want := []uint16{uint16(pdu.TagSarMsgRefNum), uint16(pdu.TagSarTotalSegments), uint16(pdu.TagSarSegmentSeqnum)}
		if !slices.Equal(tags, want) {
			return 0, 0, 0, fmt.Errorf("TLVs %v, want exactly sar_msg_ref_num, sar_total_segments, sar_segment_seqnum", e.TLVs)
		}
		r, _ := e.tlv(uint16(pdu.TagSarMsgRefNum))
		tt, _ := e.tlv(uint16(pdu.TagSarTotalSegments))
		sq, _ := e.tlv(uint16(pdu.TagSarSegmentSeqnum))
		if len(r) != 4 || len(tt) != 2 || len(sq) != 2 {
			return 0, 0, 0, fmt.Errorf("sar_* TLV lengths %d/%d/%d octets, want 2/1/1", len(r)/2, len(tt)/2, len(sq)/2)
		}
		rv, _ := strconv.ParseUint(r, 16, 16)
		tv, _ := strconv.ParseUint(tt, 16, 8)
		sv, _ := strconv.ParseUint(sq, 16, 8)
		return int(rv), int(tv), int(sv), nil
	}
	return 0, 0, 0, fmt.Errorf("no concatenation values in mode %v", mode)
}

// checkLongParts checks the parts of longUCS2 as a peer recorded them, in any
// order: data_coding 0x08, the concatenation fields of mode (same reference,
// wantRef if not negative, total, every sequence number once), UDHI set exactly
// when there is a UDH, the size limit of the mode, no surrogate pair split,
// and user data that joins up to the exact UTF-16BE octets of longUCS2, which
// the peer also decoded part by part.
func checkLongParts(t *testing.T, parts []event, mode text.Concat, wantRef int) {
	t.Helper()
	want := utf16be(longUCS2)
	if mode == text.ConcatPayload {
		if len(parts) != 1 {
			t.Fatalf("%d PDUs, want 1 with message_payload", len(parts))
		}
		e := parts[0]
		payload, _ := e.tlv(uint16(pdu.TagMessagePayload))
		if e.DataCoding != 8 || e.SMLength != 0 || e.ESMClass != 0 || payload != hex.EncodeToString(want) {
			t.Errorf("peer got %s, want data_coding 8, sm_length 0, esm_class 0 and message_payload %x", e.line, want)
		}
		if e.PayloadText == nil || *e.PayloadText != longUCS2 {
			t.Errorf("peer decoded message_payload as %v, want %q", e.PayloadText, longUCS2)
		}
		return
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3 (%d UTF-16 units)", len(parts), len(want)/2)
	}
	maxUD := map[text.Concat]int{text.ConcatUDH8: 134, text.ConcatUDH16: 132, text.ConcatSAR: 132}[mode]
	bySeq := make([]event, len(parts))
	firstRef := -1
	for _, e := range parts {
		ref, total, seq, err := concatInfo(e, mode)
		if err != nil {
			t.Fatalf("part %s: %v", e.line, err)
		}
		if firstRef < 0 {
			firstRef = ref
		}
		if ref != firstRef || (wantRef >= 0 && ref != wantRef) || total != len(parts) || seq < 1 || seq > len(parts) || bySeq[seq-1].Event != "" {
			t.Fatalf("part %s: ref %d total %d seq %d; want one reference (%d), total %d and each seq once", e.line, ref, total, seq, wantRef, len(parts))
		}
		bySeq[seq-1] = e
	}
	var joined []byte
	var texts strings.Builder
	for i, e := range bySeq {
		if e.DataCoding != 0x08 {
			t.Errorf("part %d: data_coding = %#x, want 0x08", i+1, e.DataCoding)
		}
		if udhi := e.ESMClass&0x40 != 0; udhi != (mode != text.ConcatSAR) {
			t.Errorf("part %d: esm_class = %#x, want UDHI %v in mode %v", i+1, e.ESMClass, !udhi, mode)
		}
		if mode != text.ConcatSAR && len(e.TLVs) != 0 {
			t.Errorf("part %d: TLVs %v, want none with a UDH", i+1, e.TLVs)
		}
		ud, err := e.userData()
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if len(ud)%2 != 0 || len(ud) > maxUD || e.SMLength > 140 {
			t.Errorf("part %d: %d octets of UCS-2 (sm_length %d), want even, <= %d (sm_length <= 140)", i+1, len(ud), e.SMLength, maxUD)
		}
		if len(ud) >= 2 {
			if last := binary.BigEndian.Uint16(ud[len(ud)-2:]); last >= 0xD800 && last < 0xDC00 {
				t.Errorf("part %d ends with high surrogate %04X: surrogate pair split across parts", i+1, last)
			}
		}
		if strings.ContainsRune(e.text(), '\uFFFD') {
			t.Errorf("part %d: peer decoded %q with U+FFFD", i+1, e.text())
		}
		joined = append(joined, ud...)
		texts.WriteString(e.text())
	}
	if !bytes.Equal(joined, want) {
		t.Errorf("joined user data =\n%x, want\n%x", joined, want)
	}
	if texts.String() != longUCS2 {
		t.Errorf("peer's decoded parts joined = %q, want %q", texts.String(), longUCS2)
	}
}

// reassemble joins deliver_sm parts the way a receiving gateway does, with
// text.ParseUDH or the sar_* TLVs, and text.Reassembler, then decodes.
func reassemble(t *testing.T, parts []*pdu.DeliverSM) string {
	t.Helper()
	r := text.NewReassembler(text.ReassemblerOptions{})
	now := time.Now()
	var msg []byte
	var complete bool
	for i, d := range parts {
		var (
			ref          uint16
			total, seq   uint8
			ok           bool
			ud           = d.ShortMessage
			sarRef, hasR = d.TLVs.Uint16(pdu.TagSarMsgRefNum)
		)
		switch {
		case d.ESMClass.UDHI():
			udh, rest, err := text.ParseUDH(d.ShortMessage)
			if err != nil {
				t.Fatalf("part %d: ParseUDH(%x) = %v", i+1, d.ShortMessage, err)
			}
			ref, total, seq, ok = udh.Concat()
			ud = rest
		case hasR:
			ref = sarRef
			total, _ = d.TLVs.Uint8(pdu.TagSarTotalSegments)
			seq, ok = d.TLVs.Uint8(pdu.TagSarSegmentSeqnum)
		}
		if !ok {
			t.Fatalf("part %d: no concatenation values in %+v", i+1, d.MessageFields)
		}
		joined, done, err := r.Add(now, text.Key{Source: d.SourceAddr, Dest: d.DestinationAddr}, ref, total, seq, d.DataCoding, ud)
		if err != nil {
			t.Fatalf("part %d: Reassembler.Add = %v", i+1, err)
		}
		if done {
			msg, complete = joined, true
		}
	}
	if !complete {
		t.Fatalf("%d parts did not complete a message", len(parts))
	}
	s, err := text.Decode(parts[0].DataCoding, msg, text.Options{})
	if err != nil {
		t.Fatalf("text.Decode(%#x, reassembled) = %v", parts[0].DataCoding, err)
	}
	return s
}

// clientHarness runs an smpp.Client and records what it reports.
type clientHarness struct {
	client    *smpp.Client
	cancel    context.CancelFunc
	runErr    chan error
	stopped   bool
	states    *feed[smpp.Event]
	delivered *feed[*pdu.DeliverSM]
	dataSM    *feed[*pdu.DataSM]
	logs      lockedBuffer
}

// startClient starts a Client that binds to addr, with a Handler that
// records every deliver_sm and data_sm and answers ESME_ROK. opts may adjust
// the options.
// The client is stopped when the test ends.
func startClient(t *testing.T, addr, pass string, opts ...func(*smpp.ClientOptions)) *clientHarness {
	t.Helper()
	h := &clientHarness{
		runErr:    make(chan error, 1),
		states:    newFeed[smpp.Event](nil, nil),
		delivered: newFeed[*pdu.DeliverSM](nil, nil),
		dataSM:    newFeed[*pdu.DataSM](nil, nil),
	}
	o := smpp.ClientOptions{
		Addr:                addr,
		SystemID:            systemID,
		Password:            pass,
		EnquireLinkInterval: 300 * time.Millisecond,
		EnquireLinkTimeout:  5 * time.Second,
		ResponseTimeout:     5 * time.Second,
		UnbindTimeout:       2 * time.Second,
		BindTimeout:         5 * time.Second,
		BackoffBase:         20 * time.Millisecond,
		BackoffCap:          200 * time.Millisecond,
		ThrottleBase:        50 * time.Millisecond,
		ThrottleCap:         200 * time.Millisecond,
		Handler: smpp.HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			switch p := p.(type) {
			case *pdu.DeliverSM:
				h.delivered.add(p)
			case *pdu.DataSM:
				h.dataSM.add(p)
			default:
				return fmt.Errorf("unexpected %T", p)
			}
			return nil
		}),
		OnEvent: func(e smpp.Event) { h.states.add(e) },
		Logger:  slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range opts {
		f(&o)
	}
	c, err := smpp.NewClient(o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	h.client = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- c.Run(ctx) }()
	t.Cleanup(func() {
		h.stop(t)
		if t.Failed() {
			t.Logf("client log:\n%s", h.logs.String())
		}
	})
	return h
}

// stop cancels Run and checks that it returns nil. Later calls do nothing.
func (h *clientHarness) stop(t *testing.T) {
	t.Helper()
	if h.stopped {
		return
	}
	h.stopped = true
	h.cancel()
	select {
	case err := <-h.runErr:
		if err != nil {
			t.Errorf("Client.Run() = %v, want nil", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Client.Run did not return within %v of cancel", waitTimeout)
	}
}

// ctxFor returns a context for one step: cancelled when t ends or after
// waitTimeout.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func stateIs(st smpp.ClientState) func(smpp.Event) bool {
	return func(e smpp.Event) bool { return e.State == st }
}

func acceptedBind(e event) bool { return e.Event == "bind" && e.Status == 0 }

// step is one stage of a scenario; later stages build on earlier ones.
type step struct {
	name string
	run  func(t *testing.T)
}

// runSteps runs the steps as subtests in order and stops at the first that
// fails.
func runSteps(t *testing.T, steps []step) {
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// TestPeerSMSC runs smpp.Client against each peer acting as SMSC.
func TestPeerSMSC(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			requirePeer(t, p)
			testPeerSMSC(t, p)
		})
	}
}

// testBindWrongPassword checks that a refused bind reaches the client as
// ESME_RINVPASWD and that the client never reports itself bound.
func testBindWrongPassword(t *testing.T, smsc *proc, addr string) {
	bad := startClient(t, addr, "wrong")
	ev := bad.states.wait(t, "a failed bind", stateIs(smpp.ClientWaiting))
	var st pdu.Status
	if !errors.As(ev.Err, &st) || st != pdu.StatusInvPassword {
		t.Errorf("bind with a wrong password: client reported %v, want %v", ev.Err, pdu.StatusInvPassword)
	}
	bad.stop(t)
	if bad.states.all(stateIs(smpp.ClientBound)) != nil {
		t.Errorf("client reported bound with a wrong password")
	}
	b := smsc.wait(t, "refused bind", func(e event) bool { return e.Event == "bind" && !e.PasswordOK })
	if b.Status != num(pdu.StatusInvPassword) || b.SystemID == nil || *b.SystemID != systemID {
		t.Errorf("peer saw bind %s, want system_id %q answered ESME_RINVPASWD", b.line, systemID)
	}
}

func testPeerSMSC(t *testing.T, p peer) {
	smsc := startPeer(t, p, "smsc", map[string]any{
		"port": 0, "system_id": systemID, "password": password, "timeout": int(peerTimeout / time.Second),
	})
	port := smsc.wait(t, "listening", named("listening", "")).Port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))

	if !t.Run("bind_wrong_password", func(t *testing.T) { testBindWrongPassword(t, smsc, addr) }) {
		return
	}

	// The client lives as long as the test; the steps share it.
	h := startClient(t, addr, password)
	var mainConn num // the peer's connection number of h's current bind
	var gsmID string
	toRefused := func(e event) bool { return e.Event == "submit_sm" && e.DestinationAddr == "447700900401" }
	mo := func(t *testing.T, cmd map[string]any) {
		t.Helper()
		cmd["cmd"] = "mo"
		cmd["source_addr"], cmd["source_addr_ton"], cmd["source_addr_npi"] = msisdn, 1, 1
		cmd["destination_addr"] = shortCode
		smsc.send(t, cmd)
		done := smsc.wait(t, "MO acknowledged", named("mo_done", cmd["ref"].(string)))
		for i, st := range done.Statuses {
			if st != 0 {
				t.Errorf("peer got deliver_sm_resp status %#x for part %d, want ESME_ROK", st, i+1)
			}
		}
	}

	runSteps(t, []step{
		{"bind", func(t *testing.T) {
			h.states.wait(t, "bound", stateIs(smpp.ClientBound))
			b := smsc.wait(t, "accepted bind", acceptedBind)
			if b.Command != "bind_transceiver" || !b.PasswordOK || b.InterfaceVersion != 0x34 ||
				b.SystemType != "" || b.AddressRange != "" {
				t.Errorf("peer saw bind %s, want bind_transceiver, the password, interface_version 0x34, empty system_type and address_range", b.line)
			}
			mainConn = b.Conn
		}},
		{"submit_gsm7_with_receipt", func(t *testing.T) {
			ctx := ctxFor(t)
			tmpl := &pdu.SubmitSM{}
			tmpl.SourceAddr, tmpl.SourceAddrTON, tmpl.SourceAddrNPI = sender, 5, 0
			tmpl.DestinationAddr, tmpl.DestAddrTON, tmpl.DestAddrNPI = msisdn, 1, 1
			tmpl.RegisteredDelivery = 1
			tmpl.TLVs.SetUint16(pdu.TagUserMessageReference, 0x1234)
			ids, err := h.client.SubmitText(ctx, tmpl, gsmText)
			if err != nil || len(ids) != 1 {
				t.Fatalf("SubmitText(%q) = %v, %v, want one id", gsmText, ids, err)
			}
			e := smsc.wait(t, "submit_sm GSM", func(e event) bool { return e.Event == "submit_sm" && e.DataCoding == 0 })
			if e.MessageID == nil || *e.MessageID != ids[0] {
				t.Errorf("SubmitText(%q) id = %q, peer answered %s", gsmText, ids[0], e.line)
			}
			if e.ShortMessage != gsmHex || e.SMLength != 26 || e.UDH != "" || e.text() != gsmText {
				t.Errorf("peer got short_message %s (%d octets, peer text %q), want %s (%q)", e.ShortMessage, e.SMLength, e.text(), gsmHex, gsmText)
			}
			if len(e.TLVs) != 1 || e.TLVs[0].Tag != num(pdu.TagUserMessageReference) || e.TLVs[0].Hex != "1234" {
				t.Errorf("peer got TLVs %v, want only user_message_reference 0x1234", e.TLVs)
			}
			if e.ESMClass != 0 || e.RegisteredDelivery != 1 || e.ServiceType != "" ||
				e.SourceAddr != sender || e.SourceAddrTON != 5 || e.SourceAddrNPI != 0 ||
				e.DestinationAddr != msisdn || e.DestAddrTON != 1 || e.DestAddrNPI != 1 ||
				e.ScheduleDeliveryTime != "" || e.ValidityPeriod != "" || e.ProtocolID != 0 || e.PriorityFlag != 0 {
				t.Errorf("peer got submit_sm %s, want the template's fields and nothing else", e.line)
			}
			gsmID = ids[0]

			// The peer's delivery receipt reaches the Handler.
			d := h.delivered.wait(t, "delivery receipt", func(d *pdu.DeliverSM) bool { return d.ESMClass.IsReceipt() })
			if got, _ := d.TLVs.CString(pdu.TagReceiptedMessageID); got != gsmID {
				t.Errorf("receipt receipted_message_id = %q, want %q", got, gsmID)
			}
			if st, ok := d.TLVs.Uint8(pdu.TagMessageState); !ok || st != 2 {
				t.Errorf("receipt message_state = %d, %v, want 2 (DELIVERED)", st, ok)
			}
			body, err := text.Decode(d.DataCoding, d.ShortMessage, text.Options{})
			if err != nil || !strings.Contains(body, "id:"+gsmID+" ") || !strings.Contains(body, "stat:DELIVRD") {
				t.Errorf("receipt text = %q, %v, want id:%s and stat:DELIVRD", body, err, gsmID)
			}
			if d.SourceAddr != msisdn || d.DestinationAddr != sender {
				t.Errorf("receipt from %q to %q, want from %q to %q", d.SourceAddr, d.DestinationAddr, msisdn, sender)
			}
			r := smsc.wait(t, "receipt deliver_sm_resp", named("deliver_sm_resp", "dlr:"+gsmID))
			if r.Status != 0 || r.CommandLength != 17 || r.MessageID == nil || *r.MessageID != "" {
				t.Errorf("peer got receipt response %s, want ESME_ROK with an empty message_id (17 octets)", r.line)
			}
		}},
		{"submit_long_ucs2", func(t *testing.T) {
			ctx := ctxFor(t)
			tmpl := &pdu.SubmitSM{}
			tmpl.DestinationAddr, tmpl.DestAddrTON, tmpl.DestAddrNPI = msisdn, 1, 1
			tmpl.SourceAddr = shortCode
			ids, err := h.client.SubmitText(ctx, tmpl, longUCS2)
			if err != nil {
				t.Fatalf("SubmitText(longUCS2) = %v, %v", ids, err)
			}
			parts := smsc.waitN(t, "UCS-2 parts", len(ids), func(e event) bool {
				return e.Event == "submit_sm" && e.DataCoding == 8 && e.DestinationAddr == msisdn
			})
			for i, e := range parts {
				if e.MessageID == nil || *e.MessageID != ids[i] {
					t.Errorf("part %d: id %q, peer answered %s", i+1, ids[i], e.line)
				}
			}
			checkLongParts(t, parts, text.ConcatUDH8, -1)
		}},
		{"submit_concat_modes", func(t *testing.T) {
			for i, mode := range []text.Concat{text.ConcatUDH16, text.ConcatSAR, text.ConcatPayload} {
				t.Run(mode.String(), func(t *testing.T) {
					ctx := ctxFor(t)
					c := startClient(t, addr, password, func(o *smpp.ClientOptions) { o.Concat = mode })
					defer c.stop(t)
					tmpl := &pdu.SubmitSM{}
					tmpl.DestinationAddr = fmt.Sprintf("4477009002%02d", i)
					ids, err := c.client.SubmitText(ctx, tmpl, longUCS2)
					if err != nil {
						t.Fatalf("SubmitText(longUCS2) with %v = %v, %v", mode, ids, err)
					}
					parts := smsc.waitN(t, mode.String()+" parts", len(ids), func(e event) bool {
						return e.Event == "submit_sm" && e.DestinationAddr == tmpl.DestinationAddr
					})
					checkLongParts(t, parts, mode, -1)
				})
			}
		}},
		{"submit_pipelined", func(t *testing.T) {
			ctx := ctxFor(t)
			// Concurrent submits share the window: every response must be
			// matched to its own request.
			const n = 20
			dest := "447700900500"
			type result struct {
				text, id string
				err      error
			}
			results := make(chan result, n)
			for i := range n {
				go func() {
					sm := &pdu.SubmitSM{}
					sm.DestinationAddr = dest
					sm.ShortMessage = []byte(fmt.Sprintf("pipelined %02d", i))
					resp, err := h.client.Submit(ctx, sm)
					r := result{text: string(sm.ShortMessage), err: err}
					if resp != nil {
						r.id = resp.MessageID
					}
					results <- r
				}()
			}
			got := smsc.waitN(t, "pipelined submits", n, func(e event) bool { return e.Event == "submit_sm" && e.DestinationAddr == dest })
			idOf := make(map[string]string)
			seqs := make(map[num]bool)
			for _, e := range got {
				if e.MessageID != nil {
					idOf[e.text()] = *e.MessageID
				}
				seqs[e.Seq] = true
			}
			if len(seqs) != n {
				t.Errorf("%d submits used %d distinct sequence numbers", n, len(seqs))
			}
			for range n {
				r := <-results
				if r.err != nil || r.id == "" || r.id != idOf[r.text] {
					t.Errorf("Submit(%q) = %q, %v; peer gave it %q", r.text, r.id, r.err, idOf[r.text])
				}
			}
		}},
		{"submit_error_responses", func(t *testing.T) {
			ctx := ctxFor(t)
			// npm smpp writes error responses header only, Net::SMPP with a
			// message_id body; both must be understood. ESME_RTHROTTLED is
			// retried after a pause, ESME_RSUBMITFAIL is returned.
			tmpl := &pdu.SubmitSM{}
			tmpl.DestinationAddr = "447700900400"
			smsc.send(t, map[string]any{"cmd": "fail_next", "status": int(pdu.StatusThrottled), "count": 1})
			smsc.wait(t, "fail_next set", named("ok", ""))
			ids, err := h.client.SubmitText(ctx, tmpl, "retry me")
			if err != nil || len(ids) != 1 {
				t.Fatalf("SubmitText after ESME_RTHROTTLED = %v, %v, want one id", ids, err)
			}
			got := smsc.waitN(t, "throttled submit and its retry", 2, func(e event) bool {
				return e.Event == "submit_sm" && e.DestinationAddr == tmpl.DestinationAddr
			})
			if got[0].Status != num(pdu.StatusThrottled) || got[1].Status != 0 || got[1].MessageID == nil ||
				*got[1].MessageID != ids[0] || got[0].ShortMessage != got[1].ShortMessage {
				t.Errorf("peer got %s then %s, want the same submit_sm throttled, then accepted as %q", got[0].line, got[1].line, ids[0])
			}

			tmpl.DestinationAddr = "447700900401"
			smsc.send(t, map[string]any{"cmd": "fail_next", "status": int(pdu.StatusSubmitFail), "count": 1})
			smsc.waitN(t, "fail_next set", 2, named("ok", ""))
			ids, err = h.client.SubmitText(ctx, tmpl, "fail me")
			var st pdu.Status
			if len(ids) != 0 || !errors.As(err, &st) || st != pdu.StatusSubmitFail {
				t.Errorf("SubmitText answered ESME_RSUBMITFAIL = %v, %v, want no id and %v", ids, err, pdu.StatusSubmitFail)
			}
			if e := smsc.wait(t, "refused submit", toRefused); e.Status != num(pdu.StatusSubmitFail) {
				t.Errorf("peer got %s, want it answered ESME_RSUBMITFAIL", e.line)
			}
		}},
		{"mo_gsm7_trailing_at", func(t *testing.T) {
			mo(t, map[string]any{"ref": "mo-gsm", "coding": "gsm7", "text": moGSMText, "raw_tlvs": vendorTLVs})
			d := h.delivered.wait(t, "MO GSM", func(d *pdu.DeliverSM) bool { return !d.ESMClass.IsReceipt() && d.DataCoding == 0 })
			if got := hex.EncodeToString(d.ShortMessage); got != moGSMHex {
				t.Errorf("Handler got short_message %s, want %s", got, moGSMHex)
			}
			if got, err := text.Decode(d.DataCoding, d.ShortMessage, text.Options{}); err != nil || got != moGSMText {
				t.Errorf("text.Decode(MO) = %q, %v, want %q", got, err, moGSMText)
			}
			if d.SourceAddr != msisdn || d.SourceAddrTON != 1 || d.SourceAddrNPI != 1 || d.DestinationAddr != shortCode || d.ESMClass != 0 {
				t.Errorf("Handler got MO %+v, want from %s (1/1) to %s, esm_class 0", d.MessageFields, msisdn, shortCode)
			}
			if !equalTLVs(d.TLVs, wantVendorTLVs) {
				t.Errorf("Handler got TLVs %v, want the unknown ones kept raw: %v", d.TLVs, wantVendorTLVs)
			}
		}},
		{"mo_long_ucs2_reversed", func(t *testing.T) {
			mo(t, map[string]any{"ref": "mo-ucs2", "coding": "ucs2", "text": longUCS2, "udh_ref": 77, "reverse": true})
			parts := h.delivered.waitN(t, "MO UCS-2 parts", 3, func(d *pdu.DeliverSM) bool { return d.DataCoding == 8 && d.ESMClass.UDHI() })
			for i, d := range parts {
				if udh, _, err := text.ParseUDH(d.ShortMessage); err != nil {
					t.Errorf("part %d: ParseUDH = %v", i+1, err)
				} else if ref, total, _, ok := udh.Concat(); !ok || ref != 77 || total != 3 {
					t.Errorf("part %d: UDH concat ref %d total %d, want 77 and 3", i+1, ref, total)
				}
			}
			if got := reassemble(t, parts); got != longUCS2 {
				t.Errorf("reassembled MO = %q, want %q", got, longUCS2)
			}
		}},
		{"mo_message_payload", func(t *testing.T) {
			mo(t, map[string]any{"ref": "mo-payload", "coding": "ucs2", "text": longUCS2, "payload": true})
			d := h.delivered.wait(t, "MO message_payload", func(d *pdu.DeliverSM) bool { return d.TLVs.Has(pdu.TagMessagePayload) })
			payload, _ := d.TLVs.Get(pdu.TagMessagePayload)
			if len(d.ShortMessage) != 0 || d.DataCoding != 8 || !bytes.Equal(payload, utf16be(longUCS2)) {
				t.Errorf("Handler got short_message %x, data_coding %#x, message_payload %x; want none, 0x08, %x",
					d.ShortMessage, d.DataCoding, payload, utf16be(longUCS2))
			}
		}},
		{"mo_data_sm", func(t *testing.T) {
			smsc.send(t, map[string]any{"cmd": "data_sm", "ref": "ds", "coding": "ucs2", "text": longUCS2,
				"source_addr": msisdn, "source_addr_ton": 1, "source_addr_npi": 1, "destination_addr": shortCode})
			r := smsc.wait(t, "data_sm_resp", named("data_sm_resp", "ds"))
			if r.Status != 0 {
				t.Errorf("peer got data_sm_resp %s, want ESME_ROK", r.line)
			}
			d := h.dataSM.wait(t, "data_sm", func(*pdu.DataSM) bool { return true })
			payload, _ := d.TLVs.Get(pdu.TagMessagePayload)
			if d.SourceAddr != msisdn || d.SourceAddrTON != 1 || d.SourceAddrNPI != 1 || d.DestinationAddr != shortCode ||
				d.DataCoding != 8 || d.ESMClass != 0 || !bytes.Equal(payload, utf16be(longUCS2)) {
				t.Errorf("Handler got data_sm %+v, want from %s (1/1) to %s, data_coding 8, message_payload %x", d, msisdn, shortCode, utf16be(longUCS2))
			}
		}},
		{"mo_ussd_tlvs", func(t *testing.T) {
			mo(t, map[string]any{"ref": "mo-ussd", "coding": "gsm7", "text": ussdText, "service_type": "USSD",
				"ussd_service_op": 1, "its_session_info": "2a02"})
			d := h.delivered.wait(t, "MO USSD", func(d *pdu.DeliverSM) bool { return d.ServiceType == "USSD" })
			if op, ok := d.TLVs.Uint8(pdu.TagUSSDServiceOp); !ok || op != 1 {
				t.Errorf("ussd_service_op = %d, %v, want 1 (PSSR indication)", op, ok)
			}
			want := pdu.ITSSessionInfo{Session: 0x2a, Sequence: 1}
			if s, ok := d.TLVs.ITSSessionInfo(); !ok || s != want {
				t.Errorf("its_session_info = %+v, %v, want %+v", s, ok, want)
			}
			if got := hex.EncodeToString(d.ShortMessage); got != ussdHex {
				t.Errorf("USSD short_message = %s, want %s", got, ussdHex)
			}
		}},
		{"enquire_link", func(t *testing.T) {
			// The client's keepalive (after 300 ms of silence) reaches the peer.
			smsc.wait(t, "enquire_link from the client", func(e event) bool { return e.Event == "enquire_link" && e.Conn == mainConn })
			// The peer's enquire_link is answered with its sequence number.
			smsc.send(t, map[string]any{"cmd": "enquire_link"})
			sent := smsc.wait(t, "enquire_link sent", named("enquire_link_sent", ""))
			resp := smsc.wait(t, "enquire_link_resp", named("enquire_link_resp", ""))
			if resp.Status != 0 || resp.Seq != sent.Seq {
				t.Errorf("enquire_link_resp %s to enquire_link seq %d, want ESME_ROK with the same seq", resp.line, sent.Seq)
			}
		}},
		{"unbind_by_smsc_then_rebind", func(t *testing.T) {
			smsc.send(t, map[string]any{"cmd": "unbind"})
			sent := smsc.wait(t, "unbind sent", named("unbind_sent", ""))
			resp := smsc.wait(t, "unbind_resp", named("unbind_resp", ""))
			if resp.Status != 0 || resp.Seq != sent.Seq {
				t.Errorf("unbind_resp %s to unbind seq %d, want ESME_ROK with the same seq", resp.line, sent.Seq)
			}
			ev := h.states.wait(t, "bind lost", stateIs(smpp.ClientWaiting))
			if !errors.Is(ev.Err, smpp.ErrPeerUnbind) {
				t.Errorf("client reported %v after the SMSC's unbind, want ErrPeerUnbind", ev.Err)
			}
			h.states.waitN(t, "bound again", 2, stateIs(smpp.ClientBound))
			b := smsc.wait(t, "new bind", func(e event) bool { return acceptedBind(e) && e.n > resp.n })
			if b.Conn == mainConn {
				t.Errorf("client bound again on connection %d, want a new connection", b.Conn)
			}
			mainConn = b.Conn
		}},
		{"unbind_by_client", func(t *testing.T) {
			h.stop(t)
			smsc.wait(t, "unbind from the client", func(e event) bool { return e.Event == "unbind" && e.Conn == mainConn })
			smsc.wait(t, "connection closed", func(e event) bool { return e.Event == "closed" && e.Conn == mainConn })
			smsc.exit(t)
			if n := smsc.all(named("pdu", "")); len(n) != 0 {
				t.Errorf("peer got PDUs it does not handle: %v", n)
			}
			if n := len(smsc.all(toRefused)); n != 1 {
				t.Errorf("peer got %d submit_sm for the message refused with ESME_RSUBMITFAIL, want 1 (no retry)", n)
			}
		}},
	})
}

// TestPeerESME runs each peer acting as ESME against smpptest.Server.
func TestPeerESME(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			requirePeer(t, p)
			testPeerESME(t, p)
		})
	}
}

// startServer starts an smpptest.Server that accepts systemID/password.
func startServer(t *testing.T) (*smpptest.Server, int) {
	t.Helper()
	srv := smpptest.NewUnstartedServer()
	srv.Credentials = map[string]string{systemID: password}
	var logs lockedBuffer
	srv.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	_, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatalf("server address %q: %v", srv.Addr(), err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("server address %q: %v", srv.Addr(), err)
	}
	return srv, n
}

func esmeConfig(port int, pass string, submits []map[string]any) map[string]any {
	return map[string]any{"host": "127.0.0.1", "port": port, "system_id": systemID, "password": pass,
		"timeout": int(peerTimeout / time.Second), "submits": submits}
}

func testPeerESME(t *testing.T, p peer) {
	t.Run("bind_wrong_password", func(t *testing.T) {
		_, port := startServer(t)
		esme := startPeer(t, p, "esme", esmeConfig(port, "wrong", nil))
		b := esme.wait(t, "bind_resp", named("bind_resp", ""))
		if b.Status != num(pdu.StatusInvPassword) || b.CommandLength != 16 || b.SystemID != nil {
			t.Errorf("peer got bind_resp %s, want ESME_RINVPASWD without a body", b.line)
		}
		esme.waitExit(t)
	})

	t.Run("bind_smpp50_then_unbind_by_server", func(t *testing.T) {
		// npm smpp binds with interface_version 0x50 unless told otherwise;
		// an SMPP 3.4 SMSC accepts it and reports 0x34.
		srv, port := startServer(t)
		cfg := esmeConfig(port, password, nil)
		cfg["interface_version"] = 0x50
		esme := startPeer(t, p, "esme", cfg)
		b := esme.wait(t, "bind_resp", named("bind_resp", ""))
		if v, _ := b.tlv(uint16(pdu.TagSCInterfaceVersion)); b.Status != 0 || v != "34" {
			t.Errorf("peer (interface_version 0x50) got bind_resp %s, want ESME_ROK with sc_interface_version 0x34", b.line)
		}
		esme.wait(t, "submits_done", named("submits_done", ""))
		if err := srv.Unbind(ctxFor(t)); err != nil {
			t.Errorf("Server.Unbind() = %v, want nil", err)
		}
		esme.wait(t, "unbind", named("unbind", ""))
		esme.waitExit(t)
	})

	t.Run("session", func(t *testing.T) {
		srv, port := startServer(t)
		esme := startPeer(t, p, "esme", esmeConfig(port, password, []map[string]any{
			{"ref": "gsm", "coding": "gsm7", "text": gsmText, "registered_delivery": 1, "raw_tlvs": vendorTLVs,
				"source_addr": sender, "source_addr_ton": 5, "source_addr_npi": 0,
				"destination_addr": msisdn, "dest_addr_ton": 1, "dest_addr_npi": 1},
			{"ref": "ucs2", "coding": "ucs2", "text": longUCS2, "udh_ref": 9,
				"source_addr": shortCode, "destination_addr": msisdn, "dest_addr_ton": 1, "dest_addr_npi": 1},
			{"ref": "payload", "coding": "ucs2", "text": longUCS2, "payload": true,
				"source_addr": shortCode, "destination_addr": msisdn},
			{"ref": "data", "kind": "data_sm", "coding": "gsm7", "text": gsmText,
				"source_addr": sender, "source_addr_ton": 5, "destination_addr": msisdn, "dest_addr_ton": 1, "dest_addr_npi": 1},
		}))
		runSteps(t, []step{
			{"bind", func(t *testing.T) {
				b := esme.wait(t, "bind_resp", named("bind_resp", ""))
				if b.Status != 0 || b.SystemID == nil || *b.SystemID != smpptest.DefaultSystemID {
					t.Errorf("peer got bind_resp %s, want ESME_ROK from %q", b.line, smpptest.DefaultSystemID)
				}
				if v, ok := b.tlv(uint16(pdu.TagSCInterfaceVersion)); !ok || v != "34" {
					t.Errorf("peer got bind_resp TLVs %v, want sc_interface_version 0x34", b.TLVs)
				}
			}},
			{"submit", func(t *testing.T) { testESMESubmits(t, srv, esme) }},
			{"mo", func(t *testing.T) { testESMEMO(t, srv, esme) }},
			{"enquire_link", func(t *testing.T) {
				ctx := ctxFor(t)
				esme.send(t, map[string]any{"cmd": "enquire_link"})
				if r := esme.wait(t, "enquire_link_resp", named("enquire_link_resp", "")); r.Status != 0 {
					t.Errorf("peer got enquire_link_resp %s, want ESME_ROK", r.line)
				}
				conn, err := srv.WaitBound(ctx, systemID)
				if err != nil {
					t.Fatalf("WaitBound(%q) = %v", systemID, err)
				}
				resp, err := conn.Send(ctx, &pdu.EnquireLink{Header: pdu.Header{ID: pdu.EnquireLinkID}})
				if err != nil {
					t.Fatalf("Conn.Send(enquire_link) = %v", err)
				}
				got := esme.wait(t, "enquire_link", named("enquire_link", ""))
				if _, ok := resp.(*pdu.EnquireLinkResp); !ok || resp.Hdr().Status != 0 || resp.Hdr().Seq != uint32(got.Seq) {
					t.Errorf("Conn.Send(enquire_link) = %T %+v, peer saw seq %d; want enquire_link_resp ESME_ROK echoing it", resp, resp.Hdr(), got.Seq)
				}
			}},
			{"unbind_by_esme", func(t *testing.T) {
				ctx := ctxFor(t)
				conn, err := srv.WaitBound(ctx, systemID)
				if err != nil {
					t.Fatalf("WaitBound(%q) = %v", systemID, err)
				}
				esme.send(t, map[string]any{"cmd": "unbind"})
				if r := esme.wait(t, "unbind_resp", named("unbind_resp", "")); r.Status != 0 {
					t.Errorf("peer got unbind_resp %s, want ESME_ROK", r.line)
				}
				esme.waitExit(t)
				select {
				case <-conn.Done():
				case <-time.After(waitTimeout):
					t.Errorf("server connection still open %v after unbind", waitTimeout)
				}
				if n := srv.Nacks(); len(n) != 0 {
					t.Errorf("peer sent generic_nack %+v", n)
				}
				if n := esme.all(named("pdu", "")); len(n) != 0 {
					t.Errorf("peer got PDUs it does not handle: %v", n)
				}
			}},
		})
	})
}

// testESMESubmits checks what smpptest recorded from the peer's submits and
// the receipt the peer got back.
func testESMESubmits(t *testing.T, srv *smpptest.Server, esme *proc) {
	ctx := ctxFor(t)
	esme.wait(t, "submits_done", named("submits_done", ""))
	resps := esme.all(func(e event) bool { return e.Event == "submit_sm_resp" || e.Event == "data_sm_resp" })
	for _, r := range resps {
		if r.Status != 0 || r.MessageID == nil || *r.MessageID == "" {
			t.Errorf("peer got submit_sm_resp %s, want ESME_ROK with a message_id", r.line)
		}
	}
	subs, err := srv.WaitSubmitted(ctx, len(resps))
	if err != nil {
		t.Fatalf("WaitSubmitted(%d) = %v", len(resps), err)
	}
	if len(subs) != 6 || len(resps) != 6 {
		t.Fatalf("server recorded %d submissions, peer got %d responses; want 6 (GSM, 3 UCS-2 parts, message_payload, data_sm)", len(subs), len(resps))
	}
	for i, s := range subs {
		if r := resps[i]; *r.MessageID != s.MessageID {
			t.Errorf("submission %d: id %q, peer got %q", i+1, s.MessageID, *r.MessageID)
		}
		if isData := i == 5; s.SystemID != systemID || (s.SubmitSM == nil) != isData || (s.DataSM == nil) == isData {
			t.Fatalf("submission %d: system_id %q, submit_sm %v, data_sm %v; want from %q, data_sm only for the last",
				i+1, s.SystemID, s.SubmitSM != nil, s.DataSM != nil, systemID)
		}
	}

	gsm := subs[0]
	if got := hex.EncodeToString(gsm.UserData()); got != gsmHex {
		t.Errorf("GSM submission user data = %s, want %s", got, gsmHex)
	}
	if got, err := gsm.Text(); err != nil || got != gsmText {
		t.Errorf("GSM submission Text() = %q, %v, want %q", got, err, gsmText)
	}
	if !equalTLVs(gsm.TLVs(), wantVendorTLVs) {
		t.Errorf("GSM submission TLVs %v, want the unknown ones kept raw: %v", gsm.TLVs(), wantVendorTLVs)
	}
	if sm := gsm.SubmitSM; sm.DataCoding != 0 || sm.ESMClass != 0 || sm.RegisteredDelivery != 1 ||
		sm.SourceAddr != sender || sm.SourceAddrTON != 5 || sm.SourceAddrNPI != 0 ||
		sm.DestinationAddr != msisdn || sm.DestAddrTON != 1 || sm.DestAddrNPI != 1 {
		t.Errorf("GSM submission = %+v, want the peer's fields", sm.MessageFields)
	}

	var parts []*pdu.DeliverSM // reassemble takes deliver_sm; the fields are the same
	var joined []byte
	for i, s := range subs[1:4] {
		sm := s.SubmitSM
		if sm.DataCoding != 8 || !sm.ESMClass.UDHI() || len(sm.ShortMessage) > 140 || len(sm.TLVs) != 0 {
			t.Errorf("UCS-2 part %d: data_coding %#x, esm_class %#x, %d octets, TLVs %v; want 0x08, UDHI, <= 140, none",
				i+1, sm.DataCoding, sm.ESMClass, len(sm.ShortMessage), sm.TLVs)
		}
		udh, ud, err := text.ParseUDH(sm.ShortMessage)
		if err != nil {
			t.Fatalf("UCS-2 part %d: ParseUDH(%x) = %v", i+1, sm.ShortMessage, err)
		}
		if ref, total, seq, ok := udh.Concat(); !ok || ref != 9 || total != 3 || seq != uint8(i+1) {
			t.Errorf("UCS-2 part %d: UDH concat = %d %d %d %v, want ref 9 total 3 seq %d", i+1, ref, total, seq, ok, i+1)
		}
		if part, err := s.Text(); err != nil || strings.ContainsRune(part, '\uFFFD') {
			t.Errorf("UCS-2 part %d: Text() = %q, %v, want text without U+FFFD", i+1, part, err)
		}
		joined = append(joined, ud...)
		parts = append(parts, &pdu.DeliverSM{MessageFields: sm.MessageFields})
	}
	if !bytes.Equal(joined, utf16be(longUCS2)) {
		t.Errorf("UCS-2 user data joined =\n%x, want\n%x", joined, utf16be(longUCS2))
	}
	if got := reassemble(t, parts); got != longUCS2 {
		t.Errorf("reassembled UCS-2 submission = %q, want %q", got, longUCS2)
	}

	pl := subs[4]
	if payload, _ := pl.SubmitSM.TLVs.Get(pdu.TagMessagePayload); len(pl.SubmitSM.ShortMessage) != 0 || pl.DataCoding() != 8 ||
		!bytes.Equal(payload, utf16be(longUCS2)) || !bytes.Equal(pl.UserData(), payload) {
		t.Errorf("message_payload submission: short_message %x, data_coding %#x, message_payload %x, UserData %x; want none, 0x08, %x twice",
			pl.SubmitSM.ShortMessage, pl.DataCoding(), payload, pl.UserData(), utf16be(longUCS2))
	}
	if got, err := pl.Text(); err != nil || got != longUCS2 {
		t.Errorf("message_payload submission Text() = %q, %v, want %q", got, err, longUCS2)
	}

	ds := subs[5]
	if got, err := ds.Text(); err != nil || got != gsmText || hex.EncodeToString(ds.UserData()) != gsmHex {
		t.Errorf("data_sm submission Text() = %q, %v, user data %x; want %q, %s", got, err, ds.UserData(), gsmText, gsmHex)
	}
	if d := ds.DataSM; d.SourceAddr != sender || d.SourceAddrTON != 5 || d.DestinationAddr != msisdn ||
		d.DestAddrTON != 1 || d.DestAddrNPI != 1 || d.DataCoding != 0 || d.ESMClass != 0 {
		t.Errorf("data_sm submission = %+v, want the peer's fields", d)
	}

	// The automatic receipt for the GSM submit (registered_delivery 1).
	d := esme.wait(t, "receipt", func(e event) bool { return e.Event == "deliver_sm" && e.ESMClass&0x3C == 0x04 })
	if v, _ := d.tlv(uint16(pdu.TagReceiptedMessageID)); v != hex.EncodeToString([]byte(gsm.MessageID+"\x00")) {
		t.Errorf("receipt receipted_message_id = %s, want %q with its NUL", v, gsm.MessageID)
	}
	if v, _ := d.tlv(uint16(pdu.TagMessageState)); v != "02" {
		t.Errorf("receipt message_state = %q, want 02", v)
	}
	if !strings.Contains(d.text(), "id:"+gsm.MessageID+" ") || !strings.Contains(d.text(), "stat:DELIVRD") {
		t.Errorf("peer decoded receipt text %q, want id:%s and stat:DELIVRD", d.text(), gsm.MessageID)
	}
	if d.SourceAddr != msisdn || d.DestinationAddr != sender {
		t.Errorf("receipt from %q to %q, want from %q to %q", d.SourceAddr, d.DestinationAddr, msisdn, sender)
	}
	if n := len(esme.all(func(e event) bool { return e.Event == "deliver_sm" && e.ESMClass&0x3C == 0x04 })); n != 1 {
		t.Errorf("peer got %d receipts, want 1 (only the GSM submit asked)", n)
	}
}

// testESMEMO injects MO texts with smpptest and checks what the peer got.
func testESMEMO(t *testing.T, srv *smpptest.Server, esme *proc) {
	from := func(addr string) func(event) bool {
		return func(e event) bool { return e.Event == "deliver_sm" && e.SourceAddr == addr && e.ESMClass&0x3C == 0 }
	}
	deliver := func(t *testing.T, addr, msg string, opts *smpptest.TextOptions, parts int) {
		t.Helper()
		opts.SourceTON, opts.SourceNPI = 1, 1
		statuses, err := srv.DeliverText(ctxFor(t), addr, shortCode, msg, opts)
		if err != nil || len(statuses) != parts || slices.ContainsFunc(statuses, func(s pdu.Status) bool { return s != pdu.StatusOK }) {
			t.Fatalf("DeliverText(%q) = %v, %v, want %d × ESME_ROK", msg, statuses, err, parts)
		}
	}

	t.Run("gsm7_trailing_at", func(t *testing.T) {
		deliver(t, msisdn, moGSMText, &smpptest.TextOptions{}, 1)
		e := esme.wait(t, "MO GSM", from(msisdn))
		if e.ShortMessage != moGSMHex || e.text() != moGSMText {
			t.Errorf("peer got short_message %s (text %q), want %s (%q)", e.ShortMessage, e.text(), moGSMHex, moGSMText)
		}
		if e.DataCoding != 0 || e.SourceAddrTON != 1 || e.SourceAddrNPI != 1 || e.DestinationAddr != shortCode ||
			e.ESMClass != 0 || len(e.TLVs) != 0 || e.ScheduleDeliveryTime != "" || e.ValidityPeriod != "" {
			t.Errorf("peer got MO %s, want data_coding 0 from %s (1/1) to %s, esm_class 0, no TLVs", e.line, msisdn, shortCode)
		}
	})
	modes := []struct {
		mode  text.Concat
		ref   uint16
		parts int
	}{
		{text.ConcatUDH8, 66, 3},
		{text.ConcatUDH16, 0x1234, 3},
		{text.ConcatSAR, 0x0BCD, 3},
		{text.ConcatPayload, 0, 1},
	}
	for i, m := range modes {
		t.Run("ucs2_"+m.mode.String(), func(t *testing.T) {
			addr := fmt.Sprintf("4477009003%02d", i)
			deliver(t, addr, longUCS2, &smpptest.TextOptions{Concat: m.mode, Ref: m.ref}, m.parts)
			wantRef := int(m.ref)
			if m.mode == text.ConcatPayload {
				wantRef = -1
			}
			checkLongParts(t, esme.waitN(t, m.mode.String()+" parts", m.parts, from(addr)), m.mode, wantRef)
		})
	}
	t.Run("ussd", func(t *testing.T) {
		addr := "447700900399"
		st, err := srv.DeliverUSSD(ctxFor(t), smpptest.USSD{From: addr, To: "123", Text: ussdText,
			Op: smpptest.USSDOpPSSRIndication, Session: &pdu.ITSSessionInfo{Session: 0x2a, Sequence: 1}})
		if err != nil || st != pdu.StatusOK {
			t.Fatalf("DeliverUSSD() = %v, %v, want ESME_ROK", st, err)
		}
		e := esme.wait(t, "USSD", from(addr))
		op, _ := e.tlv(uint16(pdu.TagUSSDServiceOp))
		its, _ := e.tlv(uint16(pdu.TagITSSessionInfo))
		if e.ServiceType != "USSD" || op != "01" || its != "2a02" || e.ShortMessage != ussdHex || e.text() != ussdText {
			t.Errorf("peer got USSD %s, want service_type USSD, ussd_service_op 01, its_session_info 2a02, short_message %s", e.line, ussdHex)
		}
	})
}
