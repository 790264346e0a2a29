package partner_test

import (
	"strings"
	"testing"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// coreOnlyTx is a store transaction without the partner records.
type coreOnlyTx struct{ smsgw.Tx }

func TestTxOf(t *testing.T) {
	if _, err := partner.TxOf(coreOnlyTx{}); err == nil || !strings.Contains(err.Error(), "partner.Records") {
		t.Errorf("TxOf(core-only tx) = %v, want an error naming partner.Records", err)
	}
	h := newHarness(t)
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		_, err := partner.TxOf(tx)
		return err
	})
	if err != nil {
		t.Errorf("TxOf(sqlite tx) = %v, want nil", err)
	}
}
