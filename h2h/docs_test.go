package h2h_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/partner"
)

// The worked examples and recipes of docs/h2h.md are checked here, so the
// document stays true.

func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "h2h.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docLine returns the first line of doc starting with prefix.
func docLine(t *testing.T, doc, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("docs/h2h.md has no line starting with %q", prefix)
	return ""
}

func TestDocsWorkedExample(t *testing.T) {
	doc := readDocs(t)
	v := loadVectors(t)
	hv, ov := v.HMAC[0], v.OtomaX[0]
	for _, want := range []string{
		"Secret `" + hv.Key + "`, timestamp `" + hv.Timestamp + "`, nonce `" + hv.Nonce + "`",
		"```http\n" + hv.Method + " " + hv.URI + " HTTP/1.1\nContent-Type: application/json\n\n" + hv.Body + "\n```",
		"```text\n" + hv.StringToSign + "\n```",
		"X-Signature: " + hv.Signature,
		"BODY='" + hv.Body + "'",
		"sign is `" + ov.Sign + "`",
		"'OtomaX|" + ov.MemberID + "|" + ov.Product + "|" + ov.Dest + "|" + ov.RefID + "|" + ov.PIN + "|" + ov.Password + "'",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/h2h.md lacks %q", want)
		}
	}
}

// TestDocsShellRecipes runs the documented OpenSSL lines with the worked
// example's values.
func TestDocsShellRecipes(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	doc := readDocs(t)
	hv, ov := loadVectors(t).HMAC[0], loadVectors(t).OtomaX[0]
	script := "SECRET='" + hv.Key + "'\nTS=" + hv.Timestamp + "\nNONCE=" + hv.Nonce + "\n" + docLine(t, doc, "BODY=") + "\n" +
		docLine(t, doc, "SIG=$(") + "\nprintf %s \"$SIG\""
	out, err := exec.Command("bash", "-c", script).Output()
	if err != nil || string(out) != hv.Signature {
		t.Errorf("documented shell HMAC = %q, %v; want %s", out, err, hv.Signature)
	}
	out, err = exec.Command("bash", "-c", docLine(t, doc, "printf '%s' 'OtomaX|")).Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != ov.Sign {
		t.Errorf("documented shell OtomaX sign = %q, %v; want %s", got, err, ov.Sign)
	}
}

// TestDocsGoClient builds the documented Go client and runs it against the
// handler.
func TestDocsGoClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	doc := readDocs(t)
	start := strings.Index(doc, "```go\n")
	end := strings.Index(doc[start+6:], "\n```")
	if start < 0 || end < 0 {
		t.Fatal("docs/h2h.md has no Go example")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(doc[start+6:start+6+end+1]), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module client\n\ngo 1.26\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "client", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the documented client does not build: %v\n%s", err, out)
	}
	// The client uses the real clock; the cutoff is off so the test does
	// not depend on the hour.
	e := newEnvWith(t, "", func(o *partner.Options) { o.Cutoff = partner.Cutoff{} })
	e.clk.Set(time.Now())
	e.deposit("demo", 100000)
	srv := httptest.NewServer(e.srv)
	defer srv.Close()
	run := exec.Command(filepath.Join(dir, "client"))
	run.Env = append(os.Environ(), "H2H_URL="+srv.URL, "H2H_SECRET="+demoKey)
	out, err := run.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "200 ") || !strings.Contains(string(out), `"rc":"00"`) {
		t.Fatalf("documented client = %v\n%s", err, out)
	}
	if got := e.balance(wallet); got != 50000 {
		t.Errorf("wallet = %v, want 50000", got)
	}
}
