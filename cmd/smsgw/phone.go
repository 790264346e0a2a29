package main

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/webphone"
)

// mountSimulator adds the simulator's API at /sim/ (used by the web phone,
// `smsgw sim send` and scripts) and the web phone's page at /phone.
func (a *App) mountSimulator(mux *http.ServeMux) error {
	cfg := &a.Config
	req, pin := cfg.ShortCodes.Request, cfg.ShortCodes.PIN
	// The phone dials the USSD menu (*<request code>#) when a bind takes
	// USSD from its SMSC.
	var ussdCodes []string
	if slices.ContainsFunc(cfg.Binds, func(b BindConfig) bool { return esme.USSDMode(b.USSD) != esme.USSDOff }) {
		ussdCodes = []string{req}
	}
	api, err := sim.NewHandler(a.sim, sim.HandlerOptions{Prefix: "/sim", ShortCodes: []string{req, pin}, USSDCodes: ussdCodes, Logger: a.Logger})
	if err != nil {
		return err
	}
	a.simUI = api
	mux.Handle("/sim/", api)
	o := webphone.Options{
		Prefix: "/phone",
		ShortCodes: []webphone.ShortCode{
			{Code: req, Label: "requests: IM2PAY, SALDO, RIWAYAT, PIN, BATAL, BANTUAN"},
			{Code: pin, Label: "PIN replies"},
		},
		Logger: a.Logger,
	}
	for _, d := range cfg.Demo.Customers {
		dc := webphone.DemoCustomer{MSISDN: d.MSISDN, Name: d.Name, Account: d.Account, PIN: d.PIN}
		if len(cfg.Simulator.Operators) > 0 {
			dc.Operator = a.sim.Operator(d.MSISDN)
		}
		o.Demo = append(o.Demo, dc)
	}
	account := "08110000002"
	if len(cfg.Demo.Customers) > 0 {
		account = cfg.Demo.Customers[len(cfg.Demo.Customers)-1].Account
	}
	amount := cfg.Nominal.Min
	if len(cfg.Nominal.Allowed) > 0 {
		amount = cfg.Nominal.Allowed[0]
	}
	o.Examples = []webphone.Example{
		{Code: req, Text: "IM2PAY " + account + " " + strconv.FormatInt(amount, 10), Note: "top up an i-Pay wallet; the PIN prompt comes from " + pin},
		{Code: pin, Note: "answer the PIN prompt with the PIN of your number"},
		{Code: req, Text: "SALDO", Note: "wallet balance"},
		{Code: req, Text: "RIWAYAT", Note: "last transactions"},
		{Code: req, Text: "BATAL", Note: "cancel the open top-up"},
		{Code: req, Text: "BANTUAN", Note: "help"},
	}
	h, err := webphone.New(api, o)
	if err != nil {
		return err
	}
	mux.Handle("/phone", h)
	mux.Handle("/phone/", h)
	return nil
}

// closeSimulatorStreams ends the simulator API's event streams and long
// polls so HTTP can shut down.
func (a *App) closeSimulatorStreams() {
	if a.simUI != nil {
		a.simUI.Close()
	}
}

// redactMO masks the PIN material of an MO text before the simulator keeps
// or shows it, exactly as the gateway does for its SMS log.
func (a *App) redactMO(code, text string) string {
	gw := a.live.Load()
	if gw == nil {
		return sim.MaskDigits(text)
	}
	r := gw.Rules()
	return r.Redact(code, text)
}
