package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/smpp/pdu"
)

// refusingBackend refuses every MO, as a gateway that cannot store it
// does, and answers with an apology SMS.
type refusingBackend struct {
	mu      sync.Mutex
	msgs    []sim.Message
	rev     int64
	changed chan struct{}
}

func (b *refusingBackend) add(m sim.Message) sim.Message {
	b.rev++
	m.ID, m.Rev = b.rev, b.rev
	b.msgs = append(b.msgs, m)
	close(b.changed)
	b.changed = make(chan struct{})
	return m
}

func (b *refusingBackend) Send(_ context.Context, msisdn, code, text string) (sim.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	mo := b.add(sim.Message{Dir: sim.DirMO, MSISDN: msisdn, Code: code, Text: text, Status: pdu.StatusXTAppn.Name(), Time: time.Now()})
	b.add(sim.Message{Dir: sim.DirMT, MSISDN: "62" + msisdn[1:], Code: code, Text: "Maaf, coba lagi.", Time: time.Now()})
	return mo, &sim.RefusedError{Status: pdu.StatusXTAppn}
}

func (b *refusingBackend) Thread(after int64, msisdn string) ([]sim.Message, int64, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []sim.Message
	for _, m := range b.msgs {
		if m.Rev > after && (msisdn == "" || sim.SameMSISDN(m.MSISDN, msisdn)) {
			out = append(out, m)
		}
	}
	return out, b.rev, b.changed
}

// TestSimSendRefused runs `smsgw sim send` against the simulator API when
// the gateway refuses the MO: the CLI says so and prints the reply.
func TestSimSendRefused(t *testing.T) {
	api, err := sim.NewHandler(&refusingBackend{changed: make(chan struct{})},
		sim.HandlerOptions{ShortCodes: []string{"9779", "3355"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer api.Close()
	var out strings.Builder
	err = cmdSim(t.Context(), []string{"send", "--addr", srv.URL, "--from", "08110000001", "--to", "9779", "--wait", "3s", "SALDO"}, &out)
	if err != nil {
		t.Fatalf("sim send: %v\n%s", err, out.String())
	}
	want := "the gateway answered the MO with ESME_RX_T_APPN\n9779 → 08110000001: Maaf, coba lagi.\n"
	if out.String() != want {
		t.Errorf("sim send printed\n%q\nwant\n%q", out.String(), want)
	}

	// Bad input is the API's error, with nothing sent.
	out.Reset()
	err = cmdSim(t.Context(), []string{"send", "--addr", srv.URL, "--from", "08110000001", "--to", "1234", "SALDO"}, &out)
	if err == nil || !strings.Contains(err.Error(), `to "1234" is not a short code`) {
		t.Errorf("sim send to an unknown code: %v", err)
	}
}
