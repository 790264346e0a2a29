package keywords

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/smsgw/smsgw/domain"
)

// Configuration errors returned (wrapped) by NewTable.
var (
	// ErrNotAKeyword: an Aliases key is not a canonical keyword.
	ErrNotAKeyword = errors.New("not a canonical keyword")
	// ErrBadName: an alias is empty, too long, not ASCII letters and digits,
	// or does not start with a letter.
	ErrBadName = errors.New("invalid keyword name")
	// ErrAliasCollision: an alias is used twice, or equals a keyword.
	ErrAliasCollision = errors.New("alias collision")
	// ErrBadRules: the nominal rules are inconsistent.
	ErrBadRules = errors.New("invalid nominal rules")
	// ErrBadPINLength: the PIN length bounds are invalid.
	ErrBadPINLength = errors.New("invalid PIN length bounds")
)

// maxNameLen bounds the length of an alias.
const maxNameLen = 20

// Rules are the nominal rules for Pay amounts.
type Rules struct {
	// Allowed lists the only accepted amounts (the denominations on sale).
	// Empty means any amount from Min to Max.
	Allowed []domain.Amount
	// Min and Max bound the accepted amounts, inclusive. Every Allowed
	// amount must lie within them.
	Min, Max domain.Amount
}

// DefaultRules returns the nominal rules of the IM2PAY top-up: 50.000,
// 75.000, 100.000, 150.000, 300.000 and 500.000 rupiah, within a minimum of
// 50.000 and a maximum of 5.000.000.
func DefaultRules() Rules {
	return Rules{
		Allowed: []domain.Amount{50_000, 75_000, 100_000, 150_000, 300_000, 500_000},
		Min:     50_000,
		Max:     5_000_000,
	}
}

// DefaultAliases returns the default aliases of the canonical keywords.
func DefaultAliases() map[string][]string {
	return map[string][]string{
		KeywordPay:     {"ISI", "TOPUP"},
		KeywordBalance: {"CEK", "BAL"},
		KeywordHistory: {"HISTORY"},
		KeywordCancel:  {"CANCEL"},
		KeywordHelp:    {"HELP", "INFO"},
	}
}

// TableConfig configures a Table. Zero fields take their defaults, so
// TableConfig{} is the default table.
type TableConfig struct {
	// Aliases maps a canonical keyword (IM2PAY, SALDO, RIWAYAT, PIN, BATAL,
	// BANTUAN; any case) to extra names for it. An alias is 1 to 20 ASCII
	// letters and digits starting with a letter (a message starting with a
	// digit is a PIN reply); case is ignored. No alias may equal a keyword or
	// another alias. nil means DefaultAliases(); a non-nil map replaces the
	// defaults as a whole, and an empty one means no aliases.
	Aliases map[string][]string
	// Rules are the nominal rules of Pay. The zero Rules means DefaultRules().
	// Otherwise 0 <= Min <= Max <= MaxAmount, Max > 0, and every Allowed
	// amount is positive, within Min..Max and listed once.
	Rules Rules
	// PINMinLen and PINMaxLen bound the digits of a PIN; 0 means
	// DefaultPINLength. MinPINLength <= PINMinLen <= PINMaxLen <=
	// MaxPINLength.
	PINMinLen, PINMaxLen int
}

// DefaultTableConfig returns the default configuration with every field
// filled in, as a starting point for decoding a configuration file.
func DefaultTableConfig() TableConfig {
	return TableConfig{
		Aliases:   DefaultAliases(),
		Rules:     DefaultRules(),
		PINMinLen: DefaultPINLength,
		PINMaxLen: DefaultPINLength,
	}
}

// Table is the keyword table: it parses MO texts into Commands. It is
// immutable after NewTable and safe for concurrent use.
type Table struct {
	words  map[string]string // upper-case keyword or alias -> canonical keyword
	rules  Rules             // Allowed sorted ascending
	pinMin int
	pinMax int
}

// NewTable validates cfg and builds a Table. Errors wrap ErrNotAKeyword,
// ErrBadName, ErrAliasCollision, ErrBadRules or ErrBadPINLength.
func NewTable(cfg TableConfig) (*Table, error) {
	t := &Table{words: make(map[string]string)}
	for _, k := range canonicalKeywords {
		t.words[k] = k
	}
	aliases := cfg.Aliases
	if aliases == nil {
		aliases = DefaultAliases()
	}
	keys := make([]string, 0, len(aliases))
	for k := range aliases {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic errors
	seen := make(map[string]string, len(keys))
	for _, k := range keys {
		canon := strings.ToUpper(k)
		if !slices.Contains(canonicalKeywords[:], canon) {
			return nil, fmt.Errorf("keywords: aliases: %q: %w", k, ErrNotAKeyword)
		}
		if prev, dup := seen[canon]; dup {
			return nil, fmt.Errorf("keywords: aliases: %q and %q name the same keyword: %w", prev, k, ErrAliasCollision)
		}
		seen[canon] = k
		for _, a := range aliases[k] {
			if err := checkName(a); err != nil {
				return nil, fmt.Errorf("keywords: alias %q of %s: %w", a, canon, err)
			}
			up := strings.ToUpper(a)
			if other, used := t.words[up]; used {
				return nil, fmt.Errorf("keywords: alias %q of %s is already a name of %s: %w", a, canon, other, ErrAliasCollision)
			}
			t.words[up] = canon
		}
	}

	rules, err := checkRules(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("keywords: rules: %w", err)
	}
	t.rules = rules

	t.pinMin, t.pinMax = cfg.PINMinLen, cfg.PINMaxLen
	if t.pinMin == 0 {
		t.pinMin = DefaultPINLength
	}
	if t.pinMax == 0 {
		t.pinMax = DefaultPINLength
	}
	if t.pinMin < MinPINLength || t.pinMax < t.pinMin || t.pinMax > MaxPINLength {
		return nil, fmt.Errorf("keywords: PIN length %d..%d, want %d <= min <= max <= %d: %w",
			t.pinMin, t.pinMax, MinPINLength, MaxPINLength, ErrBadPINLength)
	}
	return t, nil
}

// checkName validates an alias.
func checkName(a string) error {
	if a == "" || len(a) > maxNameLen || !isLetter(a[0]) || alnumLen(a) != len(a) {
		return ErrBadName
	}
	return nil
}

// checkRules validates r and returns a copy with Allowed sorted, or the
// defaults for the zero Rules.
func checkRules(r Rules) (Rules, error) {
	if len(r.Allowed) == 0 && r.Min == 0 && r.Max == 0 {
		return DefaultRules(), nil
	}
	if r.Max <= 0 || r.Max > domain.MaxAmount || r.Min < 0 || r.Min > r.Max {
		return Rules{}, fmt.Errorf("min %d and max %d, want 0 <= min <= max <= %d and max > 0: %w",
			r.Min, r.Max, domain.MaxAmount, ErrBadRules)
	}
	allowed := slices.Clone(r.Allowed)
	slices.Sort(allowed)
	for i, a := range allowed {
		if a <= 0 || a < r.Min || a > r.Max {
			return Rules{}, fmt.Errorf("allowed amount %d outside %d..%d or not positive: %w", a, r.Min, r.Max, ErrBadRules)
		}
		if i > 0 && allowed[i-1] == a {
			return Rules{}, fmt.Errorf("allowed amount %d listed twice: %w", a, ErrBadRules)
		}
	}
	return Rules{Allowed: allowed, Min: r.Min, Max: r.Max}, nil
}

// Rules returns a copy of the nominal rules in force, with Allowed in
// ascending order.
func (t *Table) Rules() Rules {
	r := t.rules
	r.Allowed = slices.Clone(r.Allowed)
	return r
}

// PINLength returns the bounds on the number of digits of a PIN.
func (t *Table) PINLength() (minLen, maxLen int) { return t.pinMin, t.pinMax }

// CheckAmount reports whether a satisfies the nominal rules. The error is
// an *Error of kind AmountNotAllowed carrying the rules, so that a reply can
// name the allowed amounts (see FormatAmounts).
func (t *Table) CheckAmount(a domain.Amount) error {
	if e := t.checkAmount(a); e != nil {
		return e
	}
	return nil
}

// checkAmount is CheckAmount returning a nil *Error on success.
func (t *Table) checkAmount(a domain.Amount) *Error {
	if len(t.rules.Allowed) > 0 {
		if _, ok := slices.BinarySearch(t.rules.Allowed, a); ok {
			return nil
		}
	} else if a >= t.rules.Min && a <= t.rules.Max {
		return nil
	}
	return &Error{
		Kind:    AmountNotAllowed,
		Arg:     ArgAmount,
		Amount:  a,
		Allowed: slices.Clone(t.rules.Allowed),
		Min:     t.rules.Min,
		Max:     t.rules.Max,
	}
}

// ParsePIN parses a PIN with the Table's length bounds; see the function
// ParsePIN.
func (t *Table) ParsePIN(s string) (domain.PIN, error) { return ParsePIN(s, t.pinMin, t.pinMax) }

// Parse parses the text of an MO message into a Command, following the
// grammar in the package documentation. On failure the error is an *Error;
// its Kind tells the caller which reply to send.
func (t *Table) Parse(text string) (Command, error) {
	s := trimSeps(text)
	if s == "" {
		return nil, &Error{Kind: Empty}
	}
	if isDigit(s[0]) {
		return t.parsePINReply(s)
	}
	w := alnumLen(s)
	word := s[:w]
	canon, ok := t.words[strings.ToUpper(word)]
	if w == 0 || !ok {
		return nil, &Error{Kind: UnknownKeyword, Word: safeWord(word)}
	}
	args := s[skipSeps(s, w):]
	switch canon {
	case KeywordPay:
		return t.parsePay(args)
	case KeywordPIN:
		return t.parsePIN(args)
	case KeywordBalance:
		return Balance{}, nil
	case KeywordHistory:
		return History{}, nil
	case KeywordCancel:
		return Cancel{}, nil
	default: // KeywordHelp
		return Help{}, nil
	}
}

// parsePay parses the arguments of IM2PAY: account and amount.
func (t *Table) parsePay(args string) (Command, error) {
	fail := func(kind ErrorKind, arg string, reason error) (Command, error) {
		return nil, &Error{Kind: kind, Keyword: KeywordPay, Arg: arg, Err: reason}
	}
	if args == "" {
		return fail(MissingArgument, ArgAccount, nil)
	}
	field, rest := nextField(args)
	account, err := normalizeMSISDN(field)
	if err != nil {
		return fail(BadAccount, ArgAccount, err)
	}
	if rest == "" {
		return fail(MissingArgument, ArgAmount, nil)
	}
	amount, n, err := scanAmount(rest)
	if err != nil {
		return fail(BadAmount, ArgAmount, err)
	}
	if rest[skipSeps(rest, n):] != "" {
		return fail(TooManyArguments, "", nil)
	}
	if e := t.checkAmount(amount); e != nil {
		e.Keyword = KeywordPay
		return nil, e
	}
	return Pay{Account: domain.MSISDN(account), Amount: amount}, nil
}

// parsePIN parses the arguments of PIN: one PIN (a PINReply) or the old and
// the new PIN (a ChangePIN).
func (t *Table) parsePIN(args string) (Command, error) {
	first, rest := nextField(args)
	second, rest := nextField(rest)
	switch {
	case first == "":
		return nil, &Error{Kind: MissingArgument, Keyword: KeywordPIN, Arg: ArgPIN}
	case rest != "":
		return nil, &Error{Kind: TooManyArguments, Keyword: KeywordPIN}
	case second == "":
		return t.pinReply(first)
	}
	oldPIN, err := checkPIN(first, t.pinMin, t.pinMax)
	if err != nil {
		return nil, &Error{Kind: BadPIN, Keyword: KeywordPIN, Arg: ArgOldPIN, Err: err}
	}
	newPIN, err := checkPIN(second, t.pinMin, t.pinMax)
	if err != nil {
		return nil, &Error{Kind: BadPIN, Keyword: KeywordPIN, Arg: ArgNewPIN, Err: err}
	}
	return ChangePIN{Old: oldPIN, New: newPIN}, nil
}

// parsePINReply parses a message that starts with a digit: a bare PIN.
func (t *Table) parsePINReply(s string) (Command, error) {
	field, rest := nextField(s)
	if rest != "" {
		return nil, &Error{Kind: TooManyArguments, Keyword: KeywordPIN}
	}
	return t.pinReply(field)
}

func (t *Table) pinReply(field string) (Command, error) {
	p, err := checkPIN(field, t.pinMin, t.pinMax)
	if err != nil {
		return nil, &Error{Kind: BadPIN, Keyword: KeywordPIN, Arg: ArgPIN, Err: err}
	}
	return PINReply{PIN: p}, nil
}
