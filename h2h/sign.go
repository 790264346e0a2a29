package h2h

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Header names of a signed request or callback.
const (
	HeaderTimestamp = "X-Timestamp" // Unix seconds
	HeaderNonce     = "X-Nonce"     // single use within the time window
	HeaderSignature = "X-Signature" // lower-case hex HMAC-SHA256
)

// StringToSign is what the HMAC signature covers: the method, the request
// URI (path and query, exactly as sent), the timestamp, the nonce and the
// raw body, joined by line feeds.
func StringToSign(method, requestURI, timestamp, nonce string, body []byte) string {
	var b strings.Builder
	b.Grow(len(method) + len(requestURI) + len(timestamp) + len(nonce) + len(body) + 4)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(requestURI)
	b.WriteByte('\n')
	b.WriteString(timestamp)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	return b.String()
}

// Sign returns the lower-case hex HMAC-SHA256 of StringToSign with key.
func Sign(key Secret, method, requestURI, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key.Reveal()))
	m.Write([]byte(StringToSign(method, requestURI, timestamp, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// checkSignature reports whether sig (hex) is the signature of the request
// under one of keys (the current and a previous key, during rotation). The
// comparison is in constant time.
func checkSignature(keys []Secret, sig, method, requestURI, timestamp, nonce string, body []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	msg := []byte(StringToSign(method, requestURI, timestamp, nonce, body))
	ok := false
	for _, k := range keys {
		m := hmac.New(sha256.New, []byte(k.Reveal()))
		m.Write(msg)
		ok = hmac.Equal(got, m.Sum(nil)) || ok
	}
	return ok
}

// OtomaXSign is the legacy OtomaX request signature:
// base64(sha1("OtomaX|" + memberID + "|" + product + "|" + dest + "|" +
// refID + "|" + pin + "|" + password)), standard base64 with padding.
func OtomaXSign(memberID, product, dest, refID string, pin, password Secret) string {
	h := sha1.Sum([]byte("OtomaX|" + memberID + "|" + product + "|" + dest + "|" + refID + "|" + pin.Reveal() + "|" + password.Reveal()))
	return base64.StdEncoding.EncodeToString(h[:])
}

// checkOtomaX compares an OtomaX sign in constant time.
func checkOtomaX(sign, memberID, product, dest, refID string, pin, password Secret) bool {
	want := OtomaXSign(memberID, product, dest, refID, pin, password)
	return hmac.Equal([]byte(strings.TrimSpace(sign)), []byte(want))
}

// checkPlain compares the pin and password of the kiosAMPM clear-text form
// with the partner's in constant time: both sides are hashed first, so
// neither the content nor the length of a secret shows in the timing, and
// both comparisons always run.
func checkPlain(pin, password string, wantPIN, wantPassword Secret) bool {
	eq := func(got string, want Secret) int {
		g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want.Reveal()))
		return subtle.ConstantTimeCompare(g[:], w[:])
	}
	return eq(pin, wantPIN)&eq(password, wantPassword) == 1
}
