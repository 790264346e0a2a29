package console

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword = %q, want an argon2id PHC string with the default parameters", h)
	}
	p, err := parseHash(h)
	if err != nil {
		t.Fatalf("parseHash(HashPassword()) = %v", err)
	}
	if !p.verify("correct horse") || p.verify("correct horsE") || p.verify("") {
		t.Errorf("verify does not tell the password from others")
	}
	if h2, _ := HashPassword("correct horse"); h2 == h {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Errorf("HashPassword(short) = nil error")
	}
}

func TestParseHash(t *testing.T) {
	salt := []byte("0123456789abcdef")
	cheap := formatArgon2id(argonParams{memory: 64, time: 1, threads: 1}, salt, argon2.IDKey([]byte("pw"), salt, 1, 64, 1, 32))
	p, err := parseHash(cheap)
	if err != nil || !p.verify("pw") || p.verify("px") {
		t.Errorf("cheap argon2id hash: %v", err)
	}
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte("password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := parseHash(string(bcryptHash)); err != nil || !p.verify("password") || p.verify("Password") {
		t.Errorf("bcrypt hash: %v", err)
	}
	for _, bad := range []string{
		"", "password", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=9999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$c2hvcnQ",
		"$2a$04$short",
	} {
		if _, err := parseHash(bad); err == nil {
			t.Errorf("parseHash(%q) = nil error", bad)
		}
	}
	if err := CheckHash(cheap); err != nil {
		t.Errorf("CheckHash(good) = %v", err)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "/console/",
		"/console/sms?msisdn=0811":   "/console/sms?msisdn=0811",
		"/console/tx/5":              "/console/tx/5",
		"/console/login":             "/console/",
		"/console/../x":              "/console/",
		"/console/./sms":             "/console/",
		"//evil.example/console/":    "/console/",
		"https://evil.example/":      "/console/",
		"/console/\\evil":            "/console/",
		"javascript:alert(1)":        "/console/",
		"/consolex/":                 "/console/",
		"/console/sms?next=//evil":   "/console/sms?next=//evil",
		"/console/sms\r\nSet-Cookie": "/console/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimiter(t *testing.T) {
	store, _ := sqlitetest.Open(t)
	l := newLimiter(store, "test:", 3, time.Minute)
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	allow := func(key string, at time.Time) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.allow(t.Context(), key, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 3 {
		if ok, _ := allow("k", now); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := allow("k", now)
	if ok || wait <= 0 || wait > 20*time.Second {
		t.Errorf("4th attempt = %v, wait %v; want refused for at most 20s", ok, wait)
	}
	if ok, _ := allow("other", now); !ok {
		t.Errorf("another key is limited too")
	}
	// A refused attempt costs nothing: after 20s exactly one is back.
	if ok, _ := allow("k", now.Add(20*time.Second)); !ok {
		t.Errorf("attempt after 20s refused")
	}
	if ok, _ := allow("k", now.Add(20*time.Second)); ok {
		t.Errorf("two attempts allowed after 20s")
	}
	// Another limiter on the same store (another daemon) sees the same
	// attempts.
	other := newLimiter(store, "test:", 3, time.Minute)
	if ok, _, err := other.allow(t.Context(), "k", now.Add(20*time.Second)); err != nil || ok {
		t.Errorf("a second limiter on the store allowed an attempt the first used up (err %v)", err)
	}
}

func TestChart(t *testing.T) {
	from := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	c := newChart([]smsgw.TrafficPoint{
		{Minute: from.Add(-time.Minute), MO: 100}, // outside: ignored
		{Minute: from, MO: 3, MT: 1},
		{Minute: from.Add(59 * time.Minute), MO: 0, MT: 7},
	}, from, 60, time.UTC)
	if c.TotalMO != 3 || c.TotalMT != 8 || c.Max != 10 {
		t.Errorf("chart totals %d/%d max %d, want 3/8 max 10", c.TotalMO, c.TotalMT, c.Max)
	}
	if n := len(strings.Fields(c.MO)); n != 60 {
		t.Errorf("MO line has %d points, want 60", n)
	}
	if !strings.HasPrefix(c.MO, "40.0,108.0 ") || !strings.HasSuffix(c.MT, " 710.0,52.0") {
		t.Errorf("chart points MO %q... MT ...%q", c.MO[:20], c.MT[len(c.MT)-20:])
	}
	if len(c.XLabels) != 6 || c.XLabels[0].Text != "03:00" {
		t.Errorf("x labels = %+v", c.XLabels)
	}
	if empty := newChart(nil, from, 60, time.UTC); empty.Max != 1 || empty.TotalMO != 0 {
		t.Errorf("empty chart max %d", empty.Max)
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"fe80::1%eth0":              "fe80::/64",
		"not an address":            "not an address",
		"2001:db8:1:3:3:4:5:6":      "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::0009": "2001:db8:1:2::/64",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
