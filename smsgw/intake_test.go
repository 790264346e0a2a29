package smsgw_test

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// Classify decides once what an MO asks for, what the SMS log records and
// which PINs it carries.
func TestClassify(t *testing.T) {
	_, gw := sqlitetest.Open(t, smsgwtest.WithCodes(request, pinCode))
	r := gw.Rules()
	tests := []struct {
		code, text string
		want       smsgw.Request
		keyword    string
		stored     string
		pin, npin  domain.PIN
	}{
		{request, "IM2PAY 08110000009 50000", smsgw.Request{Kind: smsgw.RequestPay, Account: "628110000009", Amount: 50000}, "IM2PAY", "IM2PAY 08110000009 50000", "", ""},
		{request, "topup 0811-0000-009 Rp 75.000", smsgw.Request{Kind: smsgw.RequestPay, Account: "628110000009", Amount: 75000}, "IM2PAY", "topup 0811-0000-009 Rp 75.000", "", ""},
		{request, "saldo", smsgw.Request{Kind: smsgw.RequestBalance}, "SALDO", "saldo", "", ""},
		{request, "RIWAYAT", smsgw.Request{Kind: smsgw.RequestHistory}, "RIWAYAT", "RIWAYAT", "", ""},
		{request, "BATAL", smsgw.Request{Kind: smsgw.RequestCancel}, "BATAL", "BATAL", "", ""},
		{request, "BANTUAN", smsgw.Request{Kind: smsgw.RequestHelp}, "BANTUAN", "BANTUAN", "", ""},
		{request, "PIN 246810 135790", smsgw.Request{Kind: smsgw.RequestChangePIN}, "PIN", "PIN **** ****", "246810", "135790"},
		{request, "PIN 2468", smsgw.Request{Kind: smsgw.RequestChangePIN}, "PIN", "PIN ****", "", ""},
		{request, "246810", smsgw.Request{Kind: smsgw.RequestPINMisdirected}, smsgw.KeywordPINMisdirected, "****", "", ""},
		{request, "KIRIM 246810", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidUnknownKeyword}, "", "KIRIM ******", "", ""},
		{request, "TOPUP 246810", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidFormat}, "IM2PAY", "TOPUP ******", "", ""},
		{request, "", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidEmpty}, "", "", "", ""},
		{request, "IM2PAY 08110000009 lima", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidBadAmount}, "IM2PAY", "IM2PAY 08110000009 lima", "", ""},
		{request, "IM2PAY 08110000009 60000", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidAmountNotAllowed, Amount: 60000}, "IM2PAY", "IM2PAY 08110000009 60000", "", ""},
		{request, "IM2PAY 123 50000", smsgw.Request{Kind: smsgw.RequestInvalid, Error: smsgw.InvalidFormat}, "IM2PAY", "IM2PAY 123 50000", "", ""},
		{pinCode, "246810", smsgw.Request{Kind: smsgw.RequestPINReply}, smsgw.KeywordPINReply, "****", "246810", ""},
		{pinCode, "PIN 246810", smsgw.Request{Kind: smsgw.RequestPINReply}, smsgw.KeywordPINReply, "****", "246810", ""},
		{pinCode, "24 68 10", smsgw.Request{Kind: smsgw.RequestPINReply}, smsgw.KeywordPINReply, "****", "", ""},
		{pinCode, "BATAL 246810", smsgw.Request{Kind: smsgw.RequestCancel}, "BATAL", "BATAL ******", "", ""},
		{"1234", "SALDO", smsgw.Request{Kind: smsgw.RequestBalance}, "SALDO", "SALDO", "", ""},
	}
	for _, tc := range tests {
		got := r.Classify(tc.code, tc.text)
		if got.Request != tc.want || got.Keyword != tc.keyword || got.Text != tc.stored {
			t.Errorf("Classify(%q, %q) = %+v %q %q, want %+v %q %q", tc.code, tc.text,
				got.Request, got.Keyword, got.Text, tc.want, tc.keyword, tc.stored)
		}
		if got.PIN.Reveal() != tc.pin.Reveal() || got.NewPIN.Reveal() != tc.npin.Reveal() {
			t.Errorf("Classify(%q, %q) PINs = %q %q, want %q %q", tc.code, tc.text,
				got.PIN.Reveal(), got.NewPIN.Reveal(), tc.pin.Reveal(), tc.npin.Reveal())
		}
		back, err := smsgw.DecodeRequest(got.Request.Encode())
		if err != nil || back != got.Request {
			t.Errorf("DecodeRequest(Encode(%+v)) = %+v, %v", got.Request, back, err)
		}
	}
}

// An MO is processed as it was classified when stored: a keyword alias
// removed in between does not change what it asks for, and its stored text
// (redacted, maybe changed by a reload) is not parsed again.
func TestProcessedAsClassifiedAtIngest(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "CEK"}); err != nil { // CEK: an alias of SALDO
		t.Fatal(err)
	}
	r := h.gw.Rules()
	tc := keywords.DefaultTableConfig()
	tc.Aliases = map[string][]string{} // no aliases: CEK is unknown from now on
	table, err := keywords.NewTable(tc)
	if err != nil {
		t.Fatal(err)
	}
	r.Keywords = table
	if err := h.gw.SetRules(r); err != nil {
		t.Fatal(err)
	}
	h.flush()
	one(t, h.out.Take(), request, "Saldo")
	h.clk.Add(3 * time.Minute) // past the de-duplication window
	one(t, h.send(payer, request, "CEK"), request, "perintah tidak dikenal")
}

// An inbox row stored without a request (by an older version) is
// classified from its stored text when processed.
func TestProcessLegacyInboxRow(t *testing.T) {
	h := newHarness(t)
	err := h.store.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.InsertMO(&smsgw.Message{Direction: smsgw.DirIn, ShortCode: request, MSISDN: payerN,
			Text: "SALDO", Keyword: "SALDO", Status: smsgw.MsgReceived, CreatedAt: h.clk.Now()}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.flush()
	one(t, h.out.Take(), request, "Saldo")
}

// A reply is addressed to the sender in the form its MO came in.
func TestReplyToAddressAsReceived(t *testing.T) {
	h := newHarness(t)
	if err := h.gw.HandleMO(t.Context(), smsgw.MO{From: payer, FromTON: 0, FromNPI: 1, To: request, Text: "SALDO"}); err != nil {
		t.Fatal(err)
	}
	h.flush()
	mt := one(t, h.out.Take(), request, "Saldo")
	if want := (smsgw.Address{Value: payer, TON: 0, NPI: 1}); mt.ToAddr != want || mt.To != payerN {
		t.Errorf("reply to %s %+v, want %s %+v", mt.To, mt.ToAddr, payerN, want)
	}
}
