package smpp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
)

// These tests run the Client against the smpptest SMSC on loopback with
// real time and short intervals.

// runClient starts a Client against srv and stops it at cleanup.
func runClient(t *testing.T, srv *smpptest.Server, opts smpp.ClientOptions) *smpp.Client {
	t.Helper()
	opts.Addr = srv.Addr()
	if opts.SystemID == "" {
		opts.SystemID = "gateway"
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	if opts.BackoffBase == 0 {
		opts.BackoffBase = 10 * time.Millisecond
		opts.BackoffCap = 50 * time.Millisecond
	}
	c, err := smpp.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
	return c
}

func newServer(t *testing.T, configure func(*smpptest.Server)) *smpptest.Server {
	t.Helper()
	srv := smpptest.NewUnstartedServer()
	if configure != nil {
		configure(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func sm(dst, msg string) *pdu.SubmitSM {
	return &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: "4242", DestinationAddr: dst, ShortMessage: []byte(msg)}}
}

func TestSMSCThrottleRetried(t *testing.T) {
	srv := newServer(t, nil)
	c := runClient(t, srv, smpp.ClientOptions{ThrottleBase: 5 * time.Millisecond, ThrottleCap: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "warm up")); err != nil {
		t.Fatal(err)
	}
	srv.ThrottleNext(3)
	resp, err := c.Submit(ctx, sm("447700900123", "hello"))
	if err != nil {
		t.Fatalf("Submit() after throttling = %v, want nil", err)
	}
	subs := srv.Submitted()
	if len(subs) != 2 || subs[1].MessageID != resp.MessageID {
		t.Fatalf("server recorded %d submissions, want 2 with the last one %s", len(subs), resp.MessageID)
	}
	if st := c.Stats(); st.Throttled != 3 || st.Submitted != 2 {
		t.Errorf("Stats() = %+v, want Throttled 3, Submitted 2", st)
	}
}

func TestSMSCDropReconnect(t *testing.T) {
	srv := newServer(t, nil)
	events := make(chan smpp.Event, 100)
	c := runClient(t, srv, smpp.ClientOptions{OnEvent: func(e smpp.Event) { events <- e }})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "a")); err != nil {
		t.Fatal(err)
	}
	if n := srv.DropConnections(); n != 1 {
		t.Fatalf("DropConnections() = %d, want 1", n)
	}
	// A submit written before the client notices the drop would have an
	// unknown outcome; wait for the client to see it.
	for e := range events {
		if e.State == smpp.ClientWaiting {
			break
		}
	}
	if _, err := c.Submit(ctx, sm("1", "b")); err != nil {
		t.Fatalf("Submit() after a drop = %v, want nil (sent on the new bind)", err)
	}
	if st := c.Stats(); st.Binds != 2 || st.Reconnects != 1 {
		t.Errorf("Stats() = %+v, want Binds 2, Reconnects 1", st)
	}
}

func TestSMSCUnbindReconnect(t *testing.T) {
	srv := newServer(t, nil)
	c := runClient(t, srv, smpp.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "a")); err != nil {
		t.Fatal(err)
	}
	if err := srv.Unbind(ctx); err != nil {
		t.Fatalf("server Unbind() = %v", err)
	}
	if _, err := c.Submit(ctx, sm("1", "b")); err != nil {
		t.Fatalf("Submit() after the SMSC unbound = %v, want nil", err)
	}
}

func TestSMSCLostResponseNotResent(t *testing.T) {
	srv := newServer(t, nil)
	c := runClient(t, srv, smpp.ClientOptions{ResponseTimeout: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "warm up")); err != nil {
		t.Fatal(err)
	}
	srv.UpdateFaults(func(f *smpptest.Faults) { f.DropResponses = true })
	_, err := c.Submit(ctx, sm("447700900123", "once"))
	if !errors.Is(err, smpp.ErrUnknownOutcome) || !errors.Is(err, smpp.ErrTimeout) {
		t.Fatalf("Submit() with the response lost = %v, want ErrUnknownOutcome and ErrTimeout", err)
	}
	if n := len(srv.Submitted()); n != 2 {
		t.Errorf("server recorded %d submissions, want 2 (accepted once, never resent)", n)
	}
}

func TestSMSCBytewiseFraming(t *testing.T) {
	srv := newServer(t, nil)
	srv.SetFaults(smpptest.Faults{Write: smpptest.WriteBytewise})
	got := make(chan string, 1)
	c := runClient(t, srv, smpp.ClientOptions{Handler: smpp.HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
		got <- string(p.(*pdu.DeliverSM).ShortMessage)
		return nil
	})})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "a")); err != nil {
		t.Fatalf("Submit() with bytewise responses = %v", err)
	}
	st, err := srv.Deliver(ctx, &pdu.DeliverSM{MessageFields: pdu.MessageFields{SourceAddr: "447700900123", ShortMessage: []byte("BAL")}})
	if err != nil || st != pdu.StatusOK {
		t.Fatalf("Deliver() = %v, %v; want ESME_ROK", st, err)
	}
	if s := <-got; s != "BAL" {
		t.Errorf("handler got %q, want BAL", s)
	}
}

func TestSMSCBindRefused(t *testing.T) {
	srv := newServer(t, func(s *smpptest.Server) { s.Credentials = map[string]string{"gateway": "right"} })
	events := make(chan smpp.Event, 100)
	runClient(t, srv, smpp.ClientOptions{Password: "wrong", OnEvent: func(e smpp.Event) { events <- e }})
	for e := range events {
		if e.State != smpp.ClientWaiting {
			continue
		}
		if !errors.Is(e.Err, pdu.StatusInvPassword) || e.Retry != 50*time.Millisecond {
			t.Fatalf("event = %+v, want ESME_RINVPASWD and the backoff cap", e)
		}
		return
	}
}

func TestSMSCSubmitText(t *testing.T) {
	srv := newServer(t, nil)
	c := runClient(t, srv, smpp.ClientOptions{Concat: text.ConcatUDH16})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	msg := strings.Repeat("Привет, мир! ", 10) // UCS2, 130 units: 2 parts
	ids, err := c.SubmitText(ctx, &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: "4242", DestinationAddr: "447700900123"}}, msg)
	if err != nil {
		t.Fatalf("SubmitText() = %v", err)
	}
	subs := srv.Submitted()
	if len(ids) != 2 || len(subs) != 2 {
		t.Fatalf("SubmitText() ids %v, server recorded %d; want 2 and 2", ids, len(subs))
	}
	var joined strings.Builder
	for i, s := range subs {
		if s.MessageID != ids[i] || s.DataCoding() != 8 {
			t.Errorf("part %d: id %s dcs %d, want %s and 8", i, s.MessageID, s.DataCoding(), ids[i])
		}
		part, err := s.Text()
		if err != nil {
			t.Fatal(err)
		}
		joined.WriteString(part)
	}
	if joined.String() != msg {
		t.Errorf("parts = %q, want %q", joined.String(), msg)
	}
}

func TestSMSCOverTLS(t *testing.T) {
	certPEM, keyPEM := selfSignedCert(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, func(s *smpptest.Server) { s.Listener = ln })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	// ServerName is taken from Addr (127.0.0.1), which the certificate names.
	c := runClient(t, srv, smpp.ClientOptions{TLS: &tls.Config{RootCAs: pool}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "over tls")); err != nil {
		t.Fatalf("Submit() over TLS = %v", err)
	}
}

// selfSignedCert returns a PEM certificate and key for 127.0.0.1.
func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smsc.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
