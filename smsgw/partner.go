package smsgw

// PartnerTx holds the store methods of the host-to-host partner API:
// partner requests by refid, deposits, callbacks. It is part of Tx.
type PartnerTx interface{}
