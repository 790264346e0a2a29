package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Role is what a console user may do: viewers read every page and export;
// admins also lock, unlock and reset customers' PINs and suspend binds.
type Role string

// Roles.
const (
	RoleViewer Role = "viewer"
	RoleAdmin  Role = "admin"
)

// User is a console account. PasswordHash is an argon2id (PHC string) or
// bcrypt hash; the console never sees a clear password except at login.
type User struct {
	Name         string
	Role         Role
	PasswordHash string
}

type user struct {
	name string
	role Role
	hash *passwordHash
}

// Cookie names. The login cookie carries the CSRF token of the login form,
// before there is a session.
const (
	sessionCookie = "smsgw_console"
	loginCookie   = "smsgw_console_login"
	cookiePath    = "/console"
)

// session is a logged-in browser. Sessions live in memory: a restart logs
// everyone out.
type session struct {
	user    *user
	csrf    string // per-session token every POST form must carry
	created time.Time
	seen    time.Time
}

// sessionStore holds sessions by the SHA-256 of their cookie value, so the
// map never holds a usable token.
type sessionStore struct {
	mu       sync.Mutex
	m        map[string]*session
	lifetime time.Duration
	idle     time.Duration
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// create starts a session for u and returns its cookie value.
func (s *sessionStore) create(u *user, now time.Time) (string, *session, error) {
	token, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	sess := &session{user: u, csrf: csrf, created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.m { // drop expired sessions as new ones arrive
		if !s.valid(old, now) {
			delete(s.m, k)
		}
	}
	s.m[tokenKey(token)] = sess
	return token, sess, nil
}

func (s *sessionStore) valid(sess *session, now time.Time) bool {
	return now.Before(sess.created.Add(s.lifetime)) && now.Before(sess.seen.Add(s.idle))
}

// get returns the live session of token and marks it used.
func (s *sessionStore) get(token string, now time.Time) *session {
	if token == "" {
		return nil
	}
	k := tokenKey(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[k]
	if !ok {
		return nil
	}
	if !s.valid(sess, now) {
		delete(s.m, k)
		return nil
	}
	sess.seen = now
	return sess
}

func (s *sessionStore) delete(token string) {
	s.mu.Lock()
	delete(s.m, tokenKey(token))
	s.mu.Unlock()
}

// limiter is a login rate limit per key (client address, or user name and
// client address): a token bucket of burst attempts refilled at one per
// interval.
type limiter struct {
	mu       sync.Mutex
	m        map[string]*rate.Limiter
	every    rate.Limit
	burst    int
	maxItems int
}

func newLimiter(attempts int, window time.Duration) *limiter {
	return &limiter{m: map[string]*rate.Limiter{}, every: rate.Every(window / time.Duration(attempts)), burst: attempts, maxItems: 10_000}
}

// allow takes one attempt for key at now and reports whether it is
// allowed; when not, wait is how long until the next one is.
func (l *limiter) allow(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, found := l.m[key]
	if !found {
		if len(l.m) >= l.maxItems {
			for k, v := range l.m { // forget keys whose bucket has refilled
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.m, k)
				}
			}
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientIP is the address a request came from (the TCP peer: a proxy in
// front of the console counts as one client).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addressKey is the key of a client address in the login limits: the
// address itself for IPv4, its /64 prefix for IPv6 (one subscriber or host
// usually holds a whole /64 and could otherwise rotate through it).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// tokensEqual compares two tokens in constant time; empty never matches.
func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// safeNext returns next if it is a console page to return to after login,
// else the dashboard: never another site, never a path that leaves
// /console/ once cleaned.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\\\r\n") {
		return "/console/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") {
		clean += "/"
	}
	if clean != u.Path || !strings.HasPrefix(u.Path, "/console/") || strings.HasPrefix(u.Path, "/console/login") {
		return "/console/"
	}
	return u.RequestURI()
}
