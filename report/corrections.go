package report

import (
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Ledger corrections (maker-checker reversals and refunds), as the
// console lists and exports them.

// CorrectionColumns names the cells of a CorrectionRecord.
func CorrectionColumns() []string {
	return []string{"id", "kind", "transfer_id", "amount", "reason", "state", "maker", "checker", "note",
		"result_transfer_id", "requested", "expires", "decided"}
}

// CorrectionStates are the states of a correction, for a filter form.
func CorrectionStates() []string {
	return []string{smsgw.CorrectionRequested, smsgw.CorrectionApproved, smsgw.CorrectionRejected, smsgw.CorrectionExpired}
}

// CorrectionRecord is one maker-checker correction.
type CorrectionRecord struct {
	ID               int64      `json:"id"`
	Kind             string     `json:"kind"`
	TransferID       int64      `json:"transfer_id"`
	Amount           int64      `json:"amount"`
	Reason           string     `json:"reason"`
	State            string     `json:"state"`
	Maker            string     `json:"maker"`
	Checker          string     `json:"checker"`
	Note             string     `json:"note"`
	ResultTransferID int64      `json:"result_transfer_id"`
	Requested        time.Time  `json:"requested"`
	Expires          time.Time  `json:"expires"`
	Decided          *time.Time `json:"decided"`
}

// NewCorrectionRecord converts c with its times in loc. A request still
// open past its expiry at now is shown as expired: it can no longer be
// decided, and the expiry job marks it so on its next run.
func NewCorrectionRecord(c *smsgw.Correction, now time.Time, loc *time.Location) *CorrectionRecord {
	r := &CorrectionRecord{ID: c.ID, Kind: c.Kind, TransferID: c.TransferID, Amount: int64(c.Amount), Reason: c.Reason,
		State: c.State, Maker: c.Maker, Checker: c.Checker, Note: c.Note, ResultTransferID: c.ResultTransferID,
		Requested: c.CreatedAt.In(loc), Expires: c.ExpiresAt.In(loc)}
	if c.DecidedAt != nil {
		d := c.DecidedAt.In(loc)
		r.Decided = &d
	}
	if r.State == smsgw.CorrectionRequested && !now.Before(c.ExpiresAt) {
		r.State = smsgw.CorrectionExpired
	}
	return r
}

// Open reports whether the correction waits for a decision.
func (r *CorrectionRecord) Open() bool { return r.State == smsgw.CorrectionRequested }

// Cells gives the CSV and table values in column order.
func (r *CorrectionRecord) Cells() []string {
	return []string{itoa(r.ID), r.Kind, itoa(r.TransferID), itoa(r.Amount), r.Reason, r.State, r.Maker, r.Checker, r.Note,
		idOrEmpty(r.ResultTransferID), fmtTime(r.Requested), fmtTime(r.Expires), fmtTimePtr(r.Decided)}
}
