package smpptest_test

import (
	"testing"

	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/smsc"
)

// TestNewServer checks the wrapper: a started server on a loopback port
// with the test SMSC name, usable wherever an *smsc.Server is.
func TestNewServer(t *testing.T) {
	srv := smpptest.NewServer()
	defer srv.Close()
	var s *smsc.Server = srv
	if s.Addr() == "" || s.SystemID != smpptest.DefaultSystemID {
		t.Fatalf("Addr %q SystemID %q, want an address and %q", s.Addr(), s.SystemID, smpptest.DefaultSystemID)
	}
	if u := smpptest.NewUnstartedServer(); u.Addr() != "" {
		t.Fatalf("unstarted server has address %q", u.Addr())
	}
}
