// Package keywords parses the text of MO (mobile-originated) SMS messages
// sent to the top-up short code, such as "IM2PAY 08110000002 50000" sent to
// 9779, into typed commands.
//
// It owns the grammar of MO text: the keyword table with its aliases (from
// configuration), the number of arguments of each command, and the syntax
// of accounts (MSISDNs), amounts of rupiah and PINs, which it parses into
// the shared value types of package domain (domain.MSISDN, domain.Amount,
// domain.PIN). It also provides MSISDN normalization and typed errors that
// tell the caller which reply to send.
//
// The package is pure: no I/O, no logging, no clock, no mutable package
// state. It does not know about flows, pending payments, PIN attempts or
// reply texts; those belong to package smsgw, which maps each ErrorKind to
// an Indonesian reply SMS (domain.FormatAmounts lists the nominal amounts).
// All functions and a *Table are safe for concurrent use.
//
// # Grammar
//
// The grammar below is matched by Table.Parse. Keywords, aliases, currency
// symbols and multiplier suffixes are ASCII and matched without regard to
// case; digits are ASCII digits only.
//
//	message   = { sep } body { sep }
//	sep       = white space (Unicode) | "#" | "*" | "," | "." | ";" | ":" | "/" | "_"
//	body      = pin-reply | command
//
//	pin-reply = field                          (a field starting with a digit)
//	command   = keyword [ { sep } rest ]
//	keyword   = letter { letter | digit }      (a keyword or alias, see Table)
//	rest      = pay-args | pin-args | any text (by keyword; ignored for SALDO, ...)
//	field     = 1*( any character but sep )
//
//	pay-args  = account 1*sep amount           (IM2PAY)
//	account   = field                          (see NormalizeMSISDN)
//	pin-args  = pin [ 1*sep pin ]              (PIN)
//	pin       = field                          (ASCII digits, configured length)
//
// Empty text, or text of separators only, is an Empty error. A message whose
// first character (after separators) is a digit is a PIN reply: it must be
// exactly one field. Otherwise the keyword is the leading run of ASCII
// letters and digits; the separators after it are skipped and the rest is
// the argument text. The keyword need not be followed by a separator, so
// "SALDO?" is SALDO and "IM2PAY+628110000002 50000" is IM2PAY.
//
// Commands and their arguments:
//
//	IM2PAY <account> <amount>  Pay        (default aliases ISI, TOPUP)
//	PIN <pin>                  PINReply
//	PIN <old> <new>            ChangePIN
//	<pin>                      PINReply   (digits only)
//	SALDO                      Balance    (default aliases CEK, BAL)
//	RIWAYAT                    History    (default alias HISTORY)
//	BATAL                      Cancel     (default alias CANCEL)
//	BANTUAN                    Help       (default aliases HELP, INFO)
//
// Commands with arguments (IM2PAY, PIN, a bare PIN) are strict: text after
// the last argument is a TooManyArguments error, because it may show that
// the user misunderstood the format (or appended a PIN) and money or a
// secret is at stake. Commands without arguments ignore any text after the
// keyword, so "CEK SALDO" is Balance and "BATAL ya" is Cancel: extra words
// cannot change what they do.
//
// # IM2PAY arguments
//
// The account is the first field after the keyword: it runs up to the next
// separator, so inside a message it may contain dashes ("0811-0000-002")
// but not spaces or dots, which separate fields ("IM2PAY.08110000002.50rb").
// It must be an Indonesian mobile number in a form NormalizeMSISDN accepts;
// Pay.Account holds its canonical form.
//
// The amount is everything after the separators that follow the account.
// Because a dot is both a field separator ("IM2PAY.0811….50rb") and the
// Indonesian thousands separator ("50.000"), the amount is not split into
// fields: it is scanned as an amount (see ParseAmount), which may itself
// contain dots, commas and spaces ("Rp 50.000,-", "1,5 jt"). After it come
// only separators; anything else is TooManyArguments (for example
// "50000 123456"), and text glued to it is BadAmount ("50000x"). Thousands
// grouped with spaces ("50 000") are not supported: the second group is an
// extra argument. A well-formed amount is then checked against the Table's
// nominal rules (AmountNotAllowed).
//
// The errors of IM2PAY are reported in argument order: MissingArgument or
// BadAccount for the account, then MissingArgument or BadAmount for the
// amount, then TooManyArguments, then AmountNotAllowed.
//
// # Amounts
//
// The grammar of ParseAmount, whose doc comment gives examples:
//
//	amount    = [ currency { space } ] number [ tail ]
//	currency  = "Rp" | "Rp." | "IDR"
//	number    = digits [ ( "." | "," ) digits ] { space } suffix
//	          | integer [ ( "." | "," ) 1*2digit ]           (zero fraction only)
//	integer   = digits | 1*3digit 1*( "." 3digit ) | 1*3digit 1*( "," 3digit )
//	suffix    = "rb" | "ribu" | "k" | "jt" | "juta"
//	tail      = ",-" | ".-" | "-"                             (only without suffix)
//
// The integer part has no leading zero unless it is 0. A separator between
// digits is read by the number of digits after it: three mean thousands, one
// or two a fraction (which must be zero, and whose separator must differ from
// the thousands separator: "50.000,00", "50,000.00"); before a suffix any
// number of decimals but three is allowed. So "50.000" is fifty thousand,
// "1.5jt" is 1.500.000, and "1.500jt" and "1.000,000" are rejected as
// ambiguous. Amounts above MaxAmount (10^15) are rejected.
//
// # PINs
//
// A PIN is ASCII digits with DefaultPINLength (6) digits unless the table
// is configured otherwise (4 to 12). The domain.PIN type hides its value from
// fmt, log/slog, encoding/json and encoding.TextMarshaler; errors never
// contain PIN digits (an *Error never holds argument text, and an unknown
// first word with more than three digits is not echoed in Error.Word).
package keywords
