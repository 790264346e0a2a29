package console

import (
	"context"
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
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Role is what a console user may do: viewers read every page and export;
// admins also lock, unlock and reset customers' PINs, suspend binds and
// request and decide ledger corrections (never their own request).
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

// LoginStore holds the console's logins: the transaction type a store
// passes as smsgw.Tx implements it (store/sqlstore does), so that every
// daemon sharing the store serves an operator who logged in on any of
// them, and a restart logs nobody out. Logins are kept by the SHA-256 of
// their cookie value: the store never holds a usable token. Error codes
// are those of smsgw.Tx.
type LoginStore interface {
	// CreateLogin records a login of user at at (EConflict if tokenHash
	// is recorded already).
	CreateLogin(tokenHash, user string, at time.Time) error
	// Login returns the user, start and last use of a login (ENotFound).
	Login(tokenHash string) (user string, created, seen time.Time, err error)
	// TouchLogin records a use of a login (ENotFound).
	TouchLogin(tokenHash string, seen time.Time) error
	// DeleteLogin ends a login (ENotFound).
	DeleteLogin(tokenHash string) error
	// PurgeLogins removes logins started before createdBefore or last
	// used before seenBefore; returns the count.
	PurgeLogins(createdBefore, seenBefore time.Time) (int64, error)
}

// loginsOf returns tx as a LoginStore, or an error naming the store's
// transaction type when it holds no logins.
func loginsOf(tx smsgw.Tx) (LoginStore, error) {
	ls, ok := tx.(LoginStore)
	if !ok {
		return nil, fmt.Errorf("console: store transaction %T does not implement console.LoginStore", tx)
	}
	return ls, nil
}

// session is a logged-in browser.
type session struct {
	user    *user
	csrf    string // per-session token every POST form must carry
	created time.Time
	seen    time.Time
}

// sessionStore keeps sessions in the store (LoginStore).
type sessionStore struct {
	store    smsgw.Store
	users    map[string]*user // by lower-case name
	lifetime time.Duration
	idle     time.Duration
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// csrfOf is the CSRF token of the session whose cookie value is token: a
// hash of it under a label of its own, so it is never stored and does not
// give the cookie away.
func csrfOf(token string) string {
	h := sha256.Sum256([]byte("smsgw console csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *sessionStore) update(ctx context.Context, fn func(LoginStore) error) error {
	return s.store.Update(ctx, func(tx smsgw.Tx) error {
		ls, err := loginsOf(tx)
		if err != nil {
			return err
		}
		return fn(ls)
	})
}

// create starts a session for u and returns its cookie value. Expired
// logins are dropped as new ones arrive.
func (s *sessionStore) create(ctx context.Context, u *user, now time.Time) (string, *session, error) {
	token, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	err = s.update(ctx, func(ls LoginStore) error {
		if _, err := ls.PurgeLogins(now.Add(-s.lifetime), now.Add(-s.idle)); err != nil {
			return err
		}
		return ls.CreateLogin(tokenKey(token), u.name, now)
	})
	if err != nil {
		return "", nil, fmt.Errorf("console: create login: %w", err)
	}
	return token, &session{user: u, csrf: csrfOf(token), created: now, seen: now}, nil
}

func (s *sessionStore) valid(sess *session, now time.Time) bool {
	return now.Before(sess.created.Add(s.lifetime)) && now.Before(sess.seen.Add(s.idle))
}

// touchEvery is how stale a session's last use may be before a request
// records it: a session used all the time costs a write a minute at most,
// and ends at most that much before its idle timeout.
func (s *sessionStore) touchEvery() time.Duration { return min(time.Minute, s.idle/30) }

// get returns the live session of token and marks it used. A store error
// counts as no session (the operator logs in again) and is returned.
func (s *sessionStore) get(ctx context.Context, token string, now time.Time) (*session, error) {
	if token == "" {
		return nil, nil
	}
	k := tokenKey(token)
	var sess *session
	err := s.store.View(ctx, func(tx smsgw.Tx) error {
		ls, err := loginsOf(tx)
		if err != nil {
			return err
		}
		name, created, seen, err := ls.Login(k)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		if u := s.users[strings.ToLower(name)]; u != nil { // nil: no longer a user
			sess = &session{user: u, csrf: csrfOf(token), created: created, seen: seen}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: read login: %w", err)
	}
	if sess == nil || !s.valid(sess, now) {
		return nil, nil
	}
	if now.Sub(sess.seen) >= s.touchEvery() {
		err := s.update(ctx, func(ls LoginStore) error { return ls.TouchLogin(k, now) })
		if smsgw.ErrorCode(err) == smsgw.ENotFound { // logged out meanwhile
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("console: record login use: %w", err)
		}
		sess.seen = now
	}
	return sess, nil
}

// delete ends the session of token, if it is live.
func (s *sessionStore) delete(ctx context.Context, token string) error {
	err := s.update(ctx, func(ls LoginStore) error { return ls.DeleteLogin(tokenKey(token)) })
	if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
		return fmt.Errorf("console: end login: %w", err)
	}
	return nil
}

// limiter is a login rate limit per key (client address, or user name and
// client address): a token bucket of burst attempts refilled at one per
// interval, kept in the store (smsgw.LimitStore) so that every daemon
// sharing it counts the same attempts.
type limiter struct {
	store  smsgw.Store
	prefix string // of the keys in the store
	rate   smsgw.Rate
}

func newLimiter(store smsgw.Store, prefix string, attempts int, window time.Duration) *limiter {
	return &limiter{store: store, prefix: prefix, rate: smsgw.Rate{Interval: window / time.Duration(attempts), Burst: attempts}}
}

// allow takes one attempt for key at now and reports whether it is
// allowed; when not, wait is how long until the next one is. A refused
// attempt costs nothing.
func (l *limiter) allow(ctx context.Context, key string, now time.Time) (ok bool, wait time.Duration, err error) {
	var v smsgw.RateVerdict
	err = l.store.Update(ctx, func(tx smsgw.Tx) (err error) {
		v, err = tx.TakeRate(l.prefix+key, l.rate, now)
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("console: login limit: %w", err)
	}
	if v.OK {
		return true, 0, nil
	}
	return false, max(v.Until.Sub(now), time.Nanosecond), nil
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
