package interop

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// TestPeerSMSCUSSDMenu has each peer play the operator's SMSC in a USSD
// top-up: it opens the session with a deliver_sm carrying ussd_service_op
// 1 (PSSR indication) and its_session_info, answers each screen with op 18
// (USSR confirm), and checks what the gateway sends back through its ESME:
// service_type USSD, op 2 (USSR request) while the menu goes on and 17
// (PSSR response) at the end, the session number echoed with the next
// sequence and the end bit on the last screen.
func TestPeerSMSCUSSDMenu(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			requirePeer(t, p)
			testPeerSMSCUSSDMenu(t, p)
		})
	}
}

func testPeerSMSCUSSDMenu(t *testing.T, p peer) {
	const (
		subscriber = "628110000002"
		pin        = "246810"
		service    = "9779"
	)
	smsc := startPeer(t, p, "smsc", map[string]any{
		"port": 0, "system_id": systemID, "password": password, "timeout": int(peerTimeout / time.Second),
	})
	port := smsc.wait(t, "listening", named("listening", "")).Port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))

	_, gw := sqlitetest.Open(t, smsgwtest.WithCodes(service, "3355"), smsgwtest.WithLogger(slog.New(slog.DiscardHandler)))
	if err := gw.AddCustomer(t.Context(), subscriber, subscriber, "Pelanggan", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	e, err := esme.New(esme.Options{Logger: slog.New(slog.DiscardHandler), Binds: []esme.BindOptions{{
		Name: "peer", Client: smpp.ClientOptions{Addr: addr, SystemID: systemID, Password: password,
			BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, gw) }()
	t.Cleanup(func() {
		cancel()
		<-done
		e.Close()
	})
	smsc.wait(t, "accepted bind", acceptedBind)

	seq, screens := 0, 0
	dialogue := func(op int, text, wantText, wantOp string, end bool) {
		t.Helper()
		its := []byte{0x2a, byte(seq << 1)}
		smsc.send(t, map[string]any{"cmd": "mo", "ref": "ussd-" + strconv.Itoa(seq), "coding": "gsm7", "text": text,
			"service_type": "USSD", "ussd_service_op": op, "its_session_info": hex.EncodeToString(its),
			"source_addr": subscriber, "source_addr_ton": 1, "source_addr_npi": 1, "destination_addr": service})
		screens++
		got := smsc.waitN(t, "USSD screen", screens, func(e event) bool { return e.Event == "submit_sm" && e.ServiceType == "USSD" })
		s := got[screens-1]
		gotOp, _ := s.tlv(0x0501)
		gotITS, _ := s.tlv(0x1383)
		wantITS := hex.EncodeToString([]byte{0x2a, byte((seq+1)<<1) | map[bool]byte{true: 1}[end]})
		if !strings.Contains(s.text(), wantText) || gotOp != wantOp || gotITS != wantITS ||
			s.DestinationAddr != subscriber || s.SourceAddr != service {
			t.Fatalf("after %q the peer got %s; want text with %q, ussd_service_op %s, its_session_info %s",
				text, s.line, wantText, wantOp, wantITS)
		}
		seq += 2
	}
	dialogue(1, "*9779#", "1 Isi saldo", "02", false)
	dialogue(18, "1", "Account-ID", "02", false)
	dialogue(18, "08110000002", "Pilih nominal", "02", false)
	dialogue(18, "1", "Masukkan PIN", "02", false)
	dialogue(18, pin, "BERHASIL", "11", true)
	w, _, err := gw.Wallet(t.Context(), subscriber, 1)
	if err != nil || w.Balance != 50000 {
		t.Errorf("wallet %+v, %v after the USSD top-up; want Rp50.000", w, err)
	}
}
