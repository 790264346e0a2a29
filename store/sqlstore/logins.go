package sqlstore

import (
	"database/sql"
	"errors"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// The console's logins, by the SHA-256 of their cookie value. The methods
// take plain values so that the console declares the interface it needs
// (console.LoginStore) without this package importing it.

// CreateLogin records a login of user whose cookie hashes to tokenHash.
// EConflict if the hash is recorded already.
func (t *Tx) CreateLogin(tokenHash, user string, at time.Time) error {
	if tokenHash == "" || user == "" {
		return smsgw.Errorf(smsgw.EInvalid, "create login: token hash and user required")
	}
	_, err := t.exec(`INSERT INTO console_logins (token_hash, user_name, created_at, seen_at) VALUES (?, ?, ?, ?)`,
		tokenHash, user, encTime(at), encTime(at))
	if err != nil {
		return t.mapErr("create login", err)
	}
	return nil
}

// Login returns the user, start and last use of the login whose cookie
// hashes to tokenHash (ENotFound).
func (t *Tx) Login(tokenHash string) (user string, created, seen time.Time, err error) {
	var c, s int64
	err = t.queryRow(`SELECT user_name, created_at, seen_at FROM console_logins WHERE token_hash = ?`, tokenHash).
		Scan(&user, &c, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, time.Time{}, smsgw.Errorf(smsgw.ENotFound, "no such login")
	} else if err != nil {
		return "", time.Time{}, time.Time{}, t.mapErr("login", err)
	}
	return user, decTime(c), decTime(s), nil
}

// TouchLogin records a use of the login at seen (never moving it back).
// ENotFound if there is no such login.
func (t *Tx) TouchLogin(tokenHash string, seen time.Time) error {
	res, err := t.exec(`UPDATE console_logins SET seen_at = CASE WHEN seen_at < ? THEN ? ELSE seen_at END
		WHERE token_hash = ?`, encTime(seen), encTime(seen), tokenHash)
	if err != nil {
		return t.mapErr("touch login", err)
	}
	return expectOne(res, "touch login", func() error { return notFound("no such login") })
}

// DeleteLogin ends the login (a logout); ENotFound if there is none.
func (t *Tx) DeleteLogin(tokenHash string) error {
	res, err := t.exec(`DELETE FROM console_logins WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return t.mapErr("delete login", err)
	}
	return expectOne(res, "delete login", func() error { return notFound("no such login") })
}

// PurgeLogins removes logins started before createdBefore or last used
// before seenBefore; returns the count.
func (t *Tx) PurgeLogins(createdBefore, seenBefore time.Time) (int64, error) {
	return t.affected("purge logins")(t.exec(`DELETE FROM console_logins WHERE created_at < ? OR seen_at < ?`,
		encTime(createdBefore), encTime(seenBefore)))
}
