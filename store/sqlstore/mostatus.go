package sqlstore

import (
	"fmt"

	"github.com/smsgw/smsgw/smsgw"
)

// SetMOStatus replaces the status of a processed inbound row with one that
// records why it was not served as usual (rate-limited, refused).
func (t *Tx) SetMOStatus(id int64, status string) error {
	switch status {
	case smsgw.MsgRateLimited, smsgw.MsgRefused:
	default:
		return smsgw.Errorf(smsgw.EInvalid, "an MO status cannot be set to %q", status)
	}
	res, err := t.exec(`UPDATE sms_log SET status = ?, updated_at = ? WHERE id = ? AND direction = ? AND status <> ?`,
		status, encTime(t.now()), id, smsgw.DirIn, smsgw.MsgReceived)
	if err != nil {
		return fmt.Errorf("store: set MO status: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: set MO status: %w", err)
	}
	if n == 0 {
		return notFound("processed inbound message not found")
	}
	return nil
}
