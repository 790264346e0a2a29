package smsgwtest

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

// The short codes a gateway uses unless WithCodes says otherwise.
const (
	RequestCode = "9779"
	PINCode     = "3355"
)

// config collects what the options set.
type config struct {
	path        string
	now         func() time.Time
	sender      smsgw.Sender
	logger      *slog.Logger
	storeLogger *slog.Logger
	pinKey      []byte
	requestCode string
	pinCode     string
	table       keywords.TableConfig
	pinMin      int // from WithPINLength, 0 if unset
	pinMax      int
	edits       []func(*smsgw.Options)
}

// An Option changes how Open and New build a gateway.
type Option func(*config)

// WithClock makes the store and the gateway read the time from c instead of
// the real time.
func WithClock(c *Clock) Option { return func(cf *config) { cf.now = c.Now } }

// WithSender makes the gateway send MTs through s instead of a Sender
// nobody reads.
func WithSender(s smsgw.Sender) Option { return func(cf *config) { cf.sender = s } }

// WithLogger makes the gateway log to l instead of nowhere. NewLogger
// makes one that writes into a LogBuffer.
func WithLogger(l *slog.Logger) Option { return func(cf *config) { cf.logger = l } }

// WithStoreLogger makes the store a store helper opens log to l instead of
// nowhere. Its records include the database path, which holds the test's
// name and random digits.
func WithStoreLogger(l *slog.Logger) Option { return func(cf *config) { cf.storeLogger = l } }

// WithPINKey sets the PIN hashing key (at least smsgw.MinPINKeyLen bytes)
// instead of a fixed test key. Gateways that share a
// store must share the key to read each other's PINs and sealed parts.
func WithPINKey(key []byte) Option {
	return func(cf *config) { cf.pinKey = bytes.Clone(key) }
}

// WithCodes sets the request and PIN reply short codes instead of
// RequestCode and PINCode.
func WithCodes(request, pin string) Option {
	return func(cf *config) { cf.requestCode, cf.pinCode = request, pin }
}

// WithKeywords builds the keyword table from tc instead of the zero
// TableConfig (the default aliases, nominal rules and PIN length). The
// gateway's rules take the PIN length of tc too; one set with
// WithPINLength takes precedence.
func WithKeywords(tc keywords.TableConfig) Option { return func(cf *config) { cf.table = tc } }

// WithPINLength bounds the digits of a PIN, in the keyword table and in the
// gateway's rules alike, instead of the default 6.
func WithPINLength(minLen, maxLen int) Option {
	return func(cf *config) { cf.pinMin, cf.pinMax = minLen, maxLen }
}

// WithPath makes a store helper (StoreSettings.Path) use the database file
// at path, which may already exist, instead of a new file in the test's
// temporary directory. New ignores it.
func WithPath(path string) Option { return func(cf *config) { cf.path = path } }

// WithOptions has edit change the gateway's options once every other
// option is applied, just before smsgw.New: for fields that have no option
// of their own (Observer, MaxPartMessages, DedupWindow, ...) or to wrap
// Store (a failing or instrumented store). Edits run in the order given.
func WithOptions(edit func(*smsgw.Options)) Option {
	return func(cf *config) { cf.edits = append(cf.edits, edit) }
}

func newConfig(opts []Option) *config {
	discard := slog.New(slog.DiscardHandler)
	cf := &config{
		sender:      &Sender{},
		logger:      discard,
		storeLogger: discard,
		pinKey:      bytes.Repeat([]byte{7}, 32),
		requestCode: RequestCode,
		pinCode:     PINCode,
	}
	for _, o := range opts {
		o(cf)
	}
	if cf.pinMin != 0 || cf.pinMax != 0 {
		cf.table.PINMinLen, cf.table.PINMaxLen = cf.pinMin, cf.pinMax
	}
	return cf
}

// StoreSettings are what the options say about the store a test opens for
// a gateway (the store packages' test helpers read them, e.g.
// store/sqlite/sqlitetest.Open): the file (WithPath; "" for a new one in
// the test's temporary directory), the clock (WithClock; nil for the real
// time) and the logger (WithStoreLogger; one that discards by default).
type StoreSettings struct {
	Path   string
	Now    func() time.Time
	Logger *slog.Logger
}

// Store returns the StoreSettings of opts.
func Store(opts ...Option) StoreSettings {
	cf := newConfig(opts)
	return StoreSettings{Path: cf.path, Now: cf.now, Logger: cf.storeLogger}
}

// New returns a gateway over st, configured by opts; it does no I/O and
// does not run Init. Use it for a second gateway on the store of Open, or
// for one over a store of the test's own. Any failure ends the test.
func New(tb testing.TB, st smsgw.Store, opts ...Option) *smsgw.Gateway {
	tb.Helper()
	return build(tb, st, newConfig(opts))
}

func build(tb testing.TB, st smsgw.Store, cf *config) *smsgw.Gateway {
	tb.Helper()
	table, err := keywords.NewTable(cf.table)
	if err != nil {
		tb.Fatalf("keyword table: %v", err)
	}
	replies, err := smsgw.NewReplies(nil)
	if err != nil {
		tb.Fatalf("replies: %v", err)
	}
	hasher, err := smsgw.NewPINHasher(cf.pinKey)
	if err != nil {
		tb.Fatalf("PIN hasher: %v", err)
	}
	o := smsgw.Options{
		Store: st, Sender: cf.sender, Hasher: hasher, Now: cf.now, Logger: cf.logger,
		Rules: smsgw.Rules{
			RequestCode: cf.requestCode, PINCode: cf.pinCode, Keywords: table, Replies: replies,
			PINMinLen: cf.table.PINMinLen, PINMaxLen: cf.table.PINMaxLen,
		},
	}
	for _, edit := range cf.edits {
		edit(&o)
	}
	gw, err := smsgw.New(o)
	if err != nil {
		tb.Fatalf("smsgw.New: %v", err)
	}
	return gw
}
