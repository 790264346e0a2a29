package main

import (
	"strings"
	"testing"
)

// TestE2EUnicodeDigitPIN types PINs in Arabic-Indic and full-width digits
// on the web phone: the daemon answers as for any such text, and neither
// the echo of the sent message, the thread, nor the daemon's log shows
// the digits.
func TestE2EUnicodeDigitPIN(t *testing.T) {
	base, _, stderr, _ := phoneDaemon(t)
	const payer = "08110000002"
	secrets := []string{"٢٤٦٨١٠", "２４６８１０", "۲۴۶۸۱۰"}
	events := phoneEvents(t, base+"/sim/events?msisdn="+payer)
	for _, c := range []struct{ to, text, reply string }{
		{"9779", "SALDO " + secrets[0], "Saldo i-Pay"},
		{"9779", "IM2PAY 08110000002 50000", "Balas SMS ini dengan PIN"},
		{"3355", secrets[1], "angka saja"},
		{"3355", secrets[2], "angka saja"},
	} {
		sent := phoneSend(t, base, payer, c.to, c.text)
		for _, s := range secrets {
			if strings.Contains(sent.Message.Text, s) {
				t.Errorf("web phone echo of %q = %q, shows the digits", c.text, sent.Message.Text)
			}
		}
		code := "9779"
		if c.to == "3355" || strings.HasPrefix(c.text, "IM2PAY") {
			code = "3355"
		}
		waitReply(t, events, code, c.reply)
	}
	msgs := getBody(t, base+"/sim/messages?msisdn=628110000002")
	page := getBody(t, base+"/phone?msisdn="+payer)
	for _, s := range secrets {
		for name, out := range map[string]string{"/sim/messages": msgs, "/phone": page, "daemon log": stderr.String()} {
			if strings.Contains(out, s) || strings.Contains(out, s[:4]) {
				t.Errorf("%s shows PIN digits %q", name, s)
			}
		}
	}
}
