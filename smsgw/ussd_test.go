package smsgw_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// ussd plays one USSD network session: each call sends the inputs so far,
// as an aggregator does.
type ussdSession struct {
	h      *harness
	id     string
	from   string
	dial   string
	inputs []string
}

func (h *harness) dial(from, code string) *ussdSession {
	return &ussdSession{h: h, id: "ussd-" + from + "-" + code, from: from, dial: code}
}

// screen sends the inputs typed so far plus in (none for the first
// screen) and returns the answer.
func (s *ussdSession) screen(in ...string) smsgw.USSDScreen {
	s.h.t.Helper()
	s.inputs = append(s.inputs, in...)
	sc, err := s.h.gw.USSD(s.h.t.Context(), smsgw.USSDRequest{Session: s.id, MSISDN: s.from, ServiceCode: s.dial, Inputs: s.inputs})
	if err != nil {
		s.h.t.Fatalf("USSD %q: %v", s.inputs, err)
	}
	if n := utf8.RuneCountInString(sc.Text); n > smsgw.MaxUSSDScreen {
		s.h.t.Errorf("screen of %d characters: %q", n, sc.Text)
	}
	return sc
}

func wantScreen(t *testing.T, sc smsgw.USSDScreen, end bool, want ...string) {
	t.Helper()
	if sc.End != end {
		t.Errorf("screen %q: end = %v, want %v", sc.Text, sc.End, end)
	}
	for _, w := range want {
		if !strings.Contains(sc.Text, w) {
			t.Errorf("screen %q lacks %q", sc.Text, w)
		}
	}
}

// A top-up over the menu: account, nominal, PIN; credited once, a result
// screen and a result SMS; the SMS log holds the USSD inputs that acted,
// with the PIN redacted, and the session its channel.
func TestUSSDTopUp(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779#")
	wantScreen(t, s.screen(), false, "1 Isi saldo", "2 Saldo", "3 Riwayat")
	wantScreen(t, s.screen("1"), false, "Account-ID")
	wantScreen(t, s.screen("08110000009"), false, "08110000009", "1 Rp50.000", "6 Rp500.000", "0 Kembali")
	wantScreen(t, s.screen("2"), false, "Rp75.000", "PIN")
	if got := h.out.Take(); len(got) != 0 {
		t.Errorf("SMS sent before the PIN: %+v", got)
	}
	wantScreen(t, s.screen(pin), true, "BERHASIL", "Rp75.000")
	if b := h.balance("08110000009"); b != 75000 {
		t.Errorf("wallet balance %d, want 75000", b)
	}
	h.flush()
	one(t, h.out.Take(), pinCode, "BERHASIL")

	ms := h.messages()
	var sawPIN bool
	for _, m := range ms {
		if strings.Contains(m.Text, pin) {
			t.Errorf("PIN in clear in the SMS log: %+v", m)
		}
		if m.Direction == smsgw.DirIn && m.ShortCode == pinCode {
			sawPIN = true
			if m.Channel != smsgw.ChannelUSSD || m.USSDSession != s.id {
				t.Errorf("PIN input logged as channel %q session %q", m.Channel, m.USSDSession)
			}
		}
	}
	if !sawPIN {
		t.Error("the PIN input is not in the SMS log")
	}
	if logs := h.logs.String(); strings.Contains(logs, pin) {
		t.Errorf("PIN in the logs:\n%s", logs)
	}
	sess := h.sessions(payerN)
	if len(sess) != 1 || sess[0].Channel != smsgw.ChannelUSSD || sess[0].State != smsgw.StateConfirmed {
		t.Errorf("sessions = %+v, want one confirmed over ussd", sess)
	}
}

// A dial string with arguments skips the screens it answers.
func TestUSSDDialArguments(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779*08110000009*50000#")
	wantScreen(t, s.screen(), false, "Rp50.000", "PIN")
	wantScreen(t, s.screen(pin), true, "BERHASIL")
	if b := h.balance("08110000009"); b != 50000 {
		t.Errorf("wallet balance %d, want 50000", b)
	}
	wantScreen(t, h.dial(payer, "*9779*08110000009#").screen(), false, "Pilih nominal")
	wantScreen(t, h.dial(payer, "*9779*2#").screen(), true, "Saldo i-Pay")
	wantScreen(t, h.dial(payer, "*1234#").screen(), true, "Kode layanan tidak dikenal")
}

// Wrong PINs are counted with the SMS ones: the screen asks again, and
// the lock ends the session; the lock holds for SMS too.
func TestUSSDWrongPINLocks(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779*08110000009*50000#")
	s.screen()
	wantScreen(t, s.screen(wrong), false, "PIN salah", "Sisa kesempatan 2")
	wantScreen(t, s.screen(wrong), false, "Sisa kesempatan 1")
	wantScreen(t, s.screen(wrong), true, "diblokir")
	if b := h.balance("08110000009"); b != 0 {
		t.Errorf("credited %d after a lock", b)
	}
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), request, "diblokir")
}

// Back, exit, bad input asked again once, then the end; an unknown
// account is asked again.
func TestUSSDNavigation(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779#")
	s.screen()
	wantScreen(t, s.screen("9"), false, "tidak valid", "1 Isi saldo")
	wantScreen(t, s.screen("1"), false, "Account-ID")
	wantScreen(t, s.screen("0"), false, "1 Isi saldo")
	wantScreen(t, s.screen("1"), false, "Account-ID")
	wantScreen(t, s.screen("08110000077"), false, "tidak terdaftar", "Account-ID")
	wantScreen(t, s.screen("12"), true, "Sesi diakhiri")

	s = h.dial(payer, "*9779#")
	s.screen()
	wantScreen(t, s.screen("1", "08110000009", "9"), false, "tidak valid", "Pilih nominal")
	wantScreen(t, s.screen("00"), true, "Terima kasih")
	if n := len(h.sessions(payerN)); n != 0 {
		t.Errorf("%d sessions opened by navigation alone", n)
	}
}

// 0 on the PIN screen cancels the request; SMS and USSD share the one
// open request of a number.
func TestUSSDCancelAndBusy(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779*08110000009*50000#")
	s.screen()
	wantScreen(t, s.screen("0"), true, "dibatalkan")
	one(t, h.send(payer, request, "IM2PAY 08110000009 100000"), pinCode, "Balas SMS ini dengan PIN")
	wantScreen(t, h.dial(payer, "*9779*08110000009*50000#").screen(), true, "menunggu PIN")
	// The SMS request is confirmed by SMS as usual.
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
}

func (h *harness) messages() []smsgw.Message {
	h.t.Helper()
	var ms []smsgw.Message
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Limit: 1000})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

func (h *harness) sessions(m domain.MSISDN) []smsgw.Session {
	h.t.Helper()
	var ss []smsgw.Session
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ss, err = tx.Sessions(smsgw.SessionFilter{MSISDN: m, Limit: 100})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ss
}

// FuzzUSSD walks arbitrary dial strings and inputs: the engine answers
// every one with a screen that fits (or refuses a malformed request as
// invalid), and the ledger stays balanced whatever was typed.
func FuzzUSSD(f *testing.F) {
	for _, s := range [][2]string{
		{"*9779#", ""}, {"*9779#", "1*08110000009*2*246810"}, {"*9779*08110000009*50000#", "111111*0"},
		{"*9779#", "1*0*0*00"}, {"*9779*2#", ""}, {"*9779#", "3"}, {"*1*2#", "9"}, {"*9779#", "1*x*y"},
		{"*9779#", "1*08110000009*75000*" + pin}, {"9779", " 1 * 08110000009 "},
	} {
		f.Add(s[0], s[1])
	}
	st, gw := sqlitetest.Open(f, smsgwtest.WithCodes(request, pinCode), smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)))
	if err := gw.AddCustomer(f.Context(), payer, payer, "Payer", domain.PIN(pin)); err != nil {
		f.Fatal(err)
	}
	if err := gw.AddWallet(f.Context(), "08110000009"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dial, text string) {
		in := strings.Split(text, "*")
		if text == "" {
			in = nil
		}
		sc, err := gw.USSD(t.Context(), smsgw.USSDRequest{Session: "fuzz", MSISDN: payer, ServiceCode: dial, Inputs: in})
		if err != nil {
			if smsgw.ErrorCode(err) != smsgw.EInvalid {
				t.Fatalf("USSD(%q, %q): %v", dial, text, err)
			}
			return
		}
		if n := utf8.RuneCountInString(sc.Text); n == 0 || n > smsgw.MaxUSSDScreen {
			t.Fatalf("USSD(%q, %q): screen of %d characters", dial, text, n)
		}
		err = st.View(t.Context(), func(tx smsgw.Tx) error {
			sum, err := tx.LedgerSum()
			if err == nil && sum != 0 {
				t.Fatalf("ledger sums to %d after USSD(%q, %q)", sum, dial, text)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The network drops the session on the PIN screen: the request stays
// open like an SMS one, the PIN answered by SMS confirms it (one credit),
// and a new dial for another top-up meanwhile hears that one waits.
func TestUSSDNetworkTimeoutMidPIN(t *testing.T) {
	h := newHarness(t)
	s := h.dial(payer, "*9779*08110000009*50000#")
	wantScreen(t, s.screen(), false, "Masukkan PIN")
	// The network times out: no more screens for this session.
	wantScreen(t, h.dial(payer, "*9779*08110000009*75000#").screen(), true, "menunggu PIN")
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	if b := h.balance("08110000009"); b != 50000 {
		t.Errorf("balance %d, want 50000", b)
	}
	h.checkLedger()
}
