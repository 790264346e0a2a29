package smsgw

// AuditTx holds the store methods of the operator views and the audit
// trail: queries behind the console and `smsgw audit`, and the append-only
// record of admin actions. It is part of Tx.
type AuditTx interface{}
