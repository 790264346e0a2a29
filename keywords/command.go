package keywords

import "github.com/smsgw/smsgw/domain"

// Canonical keywords, one per command. Keyword lookup ignores case; a Table
// may add aliases for each of them.
const (
	KeywordPay     = "IM2PAY"
	KeywordBalance = "SALDO"
	KeywordHistory = "RIWAYAT"
	KeywordPIN     = "PIN"
	KeywordCancel  = "BATAL"
	KeywordHelp    = "BANTUAN"
)

// canonicalKeywords lists the canonical keywords in a fixed order.
var canonicalKeywords = [...]string{
	KeywordPay, KeywordBalance, KeywordHistory, KeywordPIN, KeywordCancel, KeywordHelp,
}

// Command is a parsed MO request. The set is closed: it is exactly Pay,
// Balance, History, PINReply, ChangePIN, Cancel and Help, so a type switch
// over them is exhaustive.
type Command interface {
	// Keyword returns the canonical keyword of the command, whatever alias
	// the user typed.
	Keyword() string

	command()
}

// Pay asks to top up the i-pay account Account with Amount: "IM2PAY
// 08110000002 50000". The payment still needs the PIN of the sender; the
// PIN arrives in a later message (PINReply).
type Pay struct {
	// Account is the account ID in canonical MSISDN form ("628110000002").
	Account domain.MSISDN
	// Amount is the nominal, already checked against the Table's rules.
	Amount domain.Amount
}

// Balance asks for the balance: "SALDO".
type Balance struct{}

// History asks for the recent transactions: "RIWAYAT".
type History struct{}

// PINReply answers a PIN prompt: a message of digits only ("123456"), or
// "PIN 123456".
type PINReply struct {
	PIN domain.PIN
}

// ChangePIN asks to replace the PIN Old with New: "PIN 123456 654321".
// Whether New may equal Old, or be a trivial sequence, is a policy of the
// caller.
type ChangePIN struct {
	Old, New domain.PIN
}

// Cancel cancels the pending transaction of the sender: "BATAL".
type Cancel struct{}

// Help asks for the list of commands: "BANTUAN" or "HELP".
type Help struct{}

// Keyword returns KeywordPay.
func (Pay) Keyword() string { return KeywordPay }

// Keyword returns KeywordBalance.
func (Balance) Keyword() string { return KeywordBalance }

// Keyword returns KeywordHistory.
func (History) Keyword() string { return KeywordHistory }

// Keyword returns KeywordPIN.
func (PINReply) Keyword() string { return KeywordPIN }

// Keyword returns KeywordPIN.
func (ChangePIN) Keyword() string { return KeywordPIN }

// Keyword returns KeywordCancel.
func (Cancel) Keyword() string { return KeywordCancel }

// Keyword returns KeywordHelp.
func (Help) Keyword() string { return KeywordHelp }

func (Pay) command()       {}
func (Balance) command()   {}
func (History) command()   {}
func (PINReply) command()  {}
func (ChangePIN) command() {}
func (Cancel) command()    {}
func (Help) command()      {}
