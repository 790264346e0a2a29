package domain

// AccountID names a ledger account: "wallet:<msisdn>" for a customer wallet,
// "settlement:<name>" for a funding account, "deposit:<client>" for the
// prepaid deposit of a host-to-host client.
type AccountID string

// Account kinds, the part of an AccountID before the colon.
const (
	KindWallet     = "wallet"     // customer wallet, never negative
	KindSettlement = "settlement" // funding account, may go negative (it is the bank's side)
	KindDeposit    = "deposit"    // prepaid deposit of a host-to-host client, never negative
)

// WalletID returns the wallet account id of an i-pay account number.
func WalletID(account MSISDN) AccountID { return AccountID(KindWallet + ":" + string(account)) }
