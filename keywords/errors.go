package keywords

import (
	"errors"
	"strconv"
	"strings"

	"github.com/smsgw/smsgw/domain"
)

// ErrorKind classifies why a message, an amount, an MSISDN or a PIN was
// rejected. The caller maps each kind to a reply SMS.
//
// ErrorKind implements error so that a kind can be used as a sentinel:
// errors.Is(err, keywords.BadAmount) reports whether err is an *Error of
// that kind.
type ErrorKind int

// Error kinds. The zero ErrorKind is not a valid kind; KindOf returns it for
// errors that are not an *Error.
const (
	// Empty: the message holds no text other than separators.
	Empty ErrorKind = iota + 1
	// UnknownKeyword: the first word is neither a keyword nor an alias.
	UnknownKeyword
	// MissingArgument: a required argument (Error.Arg) is absent.
	MissingArgument
	// TooManyArguments: text follows the last argument of a command that
	// takes arguments.
	TooManyArguments
	// BadAccount: the account argument is not an Indonesian mobile number.
	BadAccount
	// BadAmount: the amount argument is not a well-formed amount.
	BadAmount
	// AmountNotAllowed: the amount is well formed but outside the nominal
	// rules; Error.Allowed, Error.Min and Error.Max say what is accepted.
	AmountNotAllowed
	// BadPIN: a PIN argument (Error.Arg) is not all digits or has the
	// wrong length.
	BadPIN
)

var kindText = [...]string{
	Empty:            "empty message",
	UnknownKeyword:   "unknown keyword",
	MissingArgument:  "missing argument",
	TooManyArguments: "too many arguments",
	BadAccount:       "bad account",
	BadAmount:        "bad amount",
	AmountNotAllowed: "amount not allowed",
	BadPIN:           "bad PIN",
}

// String returns a short English description of the kind.
func (k ErrorKind) String() string {
	if k > 0 && int(k) < len(kindText) {
		return kindText[k]
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// Error makes an ErrorKind usable as a sentinel with errors.Is.
func (k ErrorKind) Error() string { return k.String() }

// Names of arguments, as found in Error.Arg.
const (
	ArgAccount = "account"
	ArgAmount  = "amount"
	ArgPIN     = "PIN"
	ArgOldPIN  = "old PIN"
	ArgNewPIN  = "new PIN"
)

// Reasons wrapped by an *Error (see Error.Err), for callers and tests that
// need more detail than the Kind.
var (
	// ErrEmptyValue: the amount, MSISDN or PIN text is empty.
	ErrEmptyValue = errors.New("empty value")

	// ErrAmountSyntax: the text is not an amount.
	ErrAmountSyntax = errors.New("invalid amount syntax")
	// ErrAmountNegative: the amount has a minus sign.
	ErrAmountNegative = errors.New("negative amount")
	// ErrAmountFraction: the amount is not a whole number of rupiah.
	ErrAmountFraction = errors.New("amount is not a whole number of rupiah")
	// ErrAmountAmbiguous: the digit grouping can be read in two ways, such
	// as "1.500jt" (1,5 juta or 1.500 juta) or "1.000,000".
	ErrAmountAmbiguous = errors.New("ambiguous amount")
	// ErrAmountRange: the amount exceeds MaxAmount.
	ErrAmountRange = errors.New("amount out of range")

	// ErrMSISDNSyntax: the text has a character other than digits, a
	// leading '+' and single spaces, dashes or dots between digits.
	ErrMSISDNSyntax = errors.New("invalid MSISDN syntax")
	// ErrMSISDNPrefix: the number is not written as 08…, 628… or +628…
	// (a short code such as 9779 falls here).
	ErrMSISDNPrefix = errors.New("not an Indonesian mobile number")
	// ErrMSISDNLength: the national number (after 62 or 0) does not have
	// 9 to 12 digits.
	ErrMSISDNLength = errors.New("invalid MSISDN length")

	// ErrPINSyntax: the PIN has a character other than ASCII digits.
	ErrPINSyntax = errors.New("PIN must be digits only")
	// ErrPINLength: the PIN is shorter or longer than the configured bounds.
	ErrPINLength = errors.New("invalid PIN length")
)

// Error is the error returned by Table.Parse, ParseAmount, NormalizeMSISDN,
// ParsePIN and Table.CheckAmount.
//
// An Error never holds text of the message beyond Word, which is only set
// when it cannot hide a PIN. Its Error string is therefore safe to log: it
// holds no PIN, no MSISDN and no argument text, only the canonical keyword,
// amounts in grouped form and configuration values.
type Error struct {
	// Kind classifies the error.
	Kind ErrorKind
	// Keyword is the canonical keyword of the command whose arguments were
	// rejected (KeywordPIN for a PIN reply), or "" for Empty,
	// UnknownKeyword and errors of the stand-alone parsers.
	Keyword string
	// Word is the unknown first word of the message, upper-cased, for
	// UnknownKeyword. It is left empty when the word has more than three
	// digits (it might hide a PIN) or more than 32 bytes.
	Word string
	// Arg names the argument at fault (ArgAccount, ArgAmount, ArgPIN,
	// ArgOldPIN or ArgNewPIN), or "".
	Arg string
	// Amount is the rejected amount, for AmountNotAllowed.
	Amount domain.Amount
	// Allowed lists the allowed nominal amounts in ascending order, for
	// AmountNotAllowed; empty means any amount from Min to Max.
	Allowed []domain.Amount
	// Min and Max bound the accepted amounts, for AmountNotAllowed.
	Min, Max domain.Amount
	// Err is the detailed reason (ErrAmountNegative, ErrMSISDNLength, ...),
	// or nil.
	Err error
}

// Error returns a description in English for logs. It never includes
// argument text (see the type comment).
func (e *Error) Error() string {
	var b strings.Builder
	if e.Keyword != "" {
		b.WriteString(e.Keyword)
		b.WriteString(": ")
	}
	switch e.Kind {
	case UnknownKeyword:
		b.WriteString("unknown keyword")
		if e.Word != "" {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(e.Word))
		}
	case MissingArgument:
		b.WriteString("missing ")
		if e.Arg != "" {
			b.WriteString(e.Arg)
		} else {
			b.WriteString("argument")
		}
	case BadPIN:
		b.WriteString("bad ")
		if e.Arg != "" {
			b.WriteString(e.Arg)
		} else {
			b.WriteString(ArgPIN)
		}
	case AmountNotAllowed:
		b.WriteString("amount ")
		b.WriteString(e.Amount.String())
		switch {
		case len(e.Allowed) > 0:
			b.WriteString(" not allowed: allowed amounts are ")
			for i, a := range e.Allowed {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(a.String())
			}
		case e.Amount < e.Min:
			b.WriteString(" below minimum ")
			b.WriteString(e.Min.String())
		case e.Amount > e.Max:
			b.WriteString(" above maximum ")
			b.WriteString(e.Max.String())
		default:
			b.WriteString(" not allowed")
		}
	default:
		b.WriteString(e.Kind.String())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the detailed reason, so that errors.Is(err,
// ErrAmountNegative) works.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the ErrorKind of e, so that errors.Is(err,
// keywords.BadAmount) works.
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

// KindOf returns the Kind of the first *Error in err's chain, or 0 when
// there is none (err is nil or comes from elsewhere).
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// maxWordLen bounds Error.Word.
const maxWordLen = 32

// safeWord returns w upper-cased when it can be echoed in an Error: at most
// three digits (a PIN has at least MinPINLength, four) and at most
// maxWordLen bytes. Otherwise it returns "".
func safeWord(w string) string {
	if len(w) > maxWordLen || countDigits(w) > MinPINLength-1 {
		return ""
	}
	return strings.ToUpper(w)
}
