package storetest

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// moStatusTests are the contract of Tx.SetMOStatus.
var moStatusTests = []struct {
	name string
	fn   func(*testing.T, smsgw.Store)
}{
	{"MO/SetStatus", testMOSetStatus},
}

func testMOSetStatus(t *testing.T, s smsgw.Store) {
	limited := newMO(msisdnA, "k:1", "SALDO", t0)
	refused := newMO(msisdnA, "k:2", "IM2PAY 08110000009 50000", at(time.Second))
	waiting := newMO(msisdnB, "k:3", "SALDO", at(2*time.Second))
	mt := newMT(msisdnA, "reply", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{limited, refused, waiting} {
			if err := tx.InsertMO(m, nil); err != nil {
				return err
			}
		}
		return tx.EnqueueMT(mt)
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.FinishMO(limited.ID, "SALDO", 0, 0); err != nil {
			return err
		}
		if err := tx.SetMOStatus(limited.ID, smsgw.MsgRateLimited); err != nil {
			return err
		}
		if err := tx.FinishMO(refused.ID, "IM2PAY", 0, 0); err != nil {
			return err
		}
		return tx.SetMOStatus(refused.ID, smsgw.MsgRefused)
	})
	err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(waiting.ID, smsgw.MsgRateLimited) })
	wantCode(t, "SetMOStatus(not processed)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(mt.ID, smsgw.MsgRefused) })
	wantCode(t, "SetMOStatus(an MT)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(9999, smsgw.MsgRefused) })
	wantCode(t, "SetMOStatus(unknown)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(limited.ID, smsgw.MsgSent) })
	wantCode(t, "SetMOStatus(sent)", err, smsgw.EInvalid)
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, c := range []struct {
			m      *smsgw.Message
			status string
		}{{limited, smsgw.MsgRateLimited}, {refused, smsgw.MsgRefused}, {waiting, smsgw.MsgReceived}, {mt, smsgw.MsgQueued}} {
			got, err := tx.Message(c.m.ID)
			if err != nil {
				return err
			}
			if got.Status != c.status {
				t.Errorf("Message(%d).Status = %q, want %q", c.m.ID, got.Status, c.status)
			}
		}
		ms, err := tx.Messages(smsgw.MessageFilter{Status: smsgw.MsgRateLimited})
		if err != nil {
			return err
		}
		same(t, "Messages(status rate_limited) ids", ids(ms, func(m smsgw.Message) int64 { return m.ID }), []int64{limited.ID})
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs ids", ids(ps, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{waiting.ID})
		return nil
	})
}
