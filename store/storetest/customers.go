package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// customerTests are the contract of smsgw.CustomerStore: customers and their
// PIN state.
var customerTests = []test{
	{"Customer/CreateGet", testCustomerCreateGet},
	{"Customer/Conflict", testCustomerConflict},
	{"Customer/NotFound", testCustomerNotFound},
	{"Customer/Update", testCustomerUpdate},
	{"Customer/List", testCustomerList},
	{"Customer/UnlockDue", testUnlockDue},
	{"Customer/ReadOwnWrites", testCustomerReadOwnWrites},
}

// TestCustomers runs customerTests as subtests; see Run for open.
func TestCustomers(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, customerTests) }

func testCustomerCreateGet(t *testing.T, s smsgw.Store) {
	c := newCustomer(msisdnA)
	c.PINFailures = 2
	c.LockedUntil = ptr(at(time.Hour))
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(c) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		same(t, "Customer(A)", got, c)
		return nil
	})
}

func testCustomerConflict(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnA)) })
	c := newCustomer(msisdnA)
	c.Name = "Someone else"
	err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.CreateCustomer(c) })
	wantCode(t, "CreateCustomer(existing)", err, smsgw.EConflict)
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		if got.Name != "Customer "+string(msisdnA) {
			t.Errorf("Customer(A).Name = %q after conflicting create, want the first", got.Name)
		}
		return nil
	})
}

func testCustomerNotFound(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Customer(msisdnA)
		wantCode(t, "Customer(unknown)", err, smsgw.ENotFound)
		wantCode(t, "UpdateCustomer(unknown)", tx.UpdateCustomer(newCustomer(msisdnA)), smsgw.ENotFound)
		return nil
	})
}

func testCustomerUpdate(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateCustomer(newCustomer(msisdnA)); err != nil {
			return err
		}
		return tx.CreateCustomer(newCustomer(msisdnB))
	})
	tests := []struct {
		name string
		edit func(*smsgw.Customer)
	}{
		{"lock", func(c *smsgw.Customer) { c.PINFailures, c.LockedUntil = 3, ptr(at(30*time.Minute)) }},
		{"new PIN", func(c *smsgw.Customer) {
			c.PINHash, c.PINSalt, c.PINFailures, c.LockedUntil = []byte("new-hash"), []byte("new-salt"), 0, nil
		}},
		{"one failure", func(c *smsgw.Customer) { c.PINFailures = 1 }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want *smsgw.Customer
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				c, err := tx.Customer(msisdnA)
				if err != nil {
					return err
				}
				tc.edit(c)
				c.UpdatedAt = at(time.Duration(i+1) * time.Minute)
				want = c
				return tx.UpdateCustomer(c)
			})
			MustView(t, s, func(tx smsgw.Tx) error {
				got, err := tx.Customer(msisdnA)
				if err != nil {
					return err
				}
				same(t, "Customer(A)", got, want)
				other, err := tx.Customer(msisdnB)
				if err != nil {
					return err
				}
				same(t, "Customer(B)", other, newCustomer(msisdnB))
				return nil
			})
		})
	}
}

func testCustomerList(t *testing.T, s smsgw.Store) {
	all := []domain.MSISDN{"628110000005", "628110000001", "628110000004", "628110000002", "628110000003"}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range all {
			if err := tx.CreateCustomer(newCustomer(m)); err != nil {
				return err
			}
		}
		return nil
	})
	var got []domain.MSISDN
	after := domain.MSISDN("")
	for page := 0; page < 10; page++ {
		var cs []smsgw.Customer
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			cs, err = tx.Customers(after, 2)
			return err
		})
		if len(cs) > 2 {
			t.Fatalf("Customers(%q, 2) returned %d rows", after, len(cs))
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			got = append(got, c.MSISDN)
		}
		after = cs[len(cs)-1].MSISDN
	}
	want := slices.Clone(all)
	slices.Sort(want)
	same(t, "Customers pages", got, want)
}

func testUnlockDue(t *testing.T, s smsgw.Store) {
	now := at(time.Hour)
	customers := map[domain.MSISDN]*time.Time{
		"628110000001": ptr(now.Add(-time.Minute)), // lock over
		"628110000002": ptr(now),                   // ends exactly now
		"628110000003": ptr(now.Add(time.Second)),  // still locked
		"628110000004": nil,                        // never locked
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for m, until := range customers {
			c := newCustomer(m)
			c.LockedUntil = until
			if until != nil {
				c.PINFailures = 3
			}
			if err := tx.CreateCustomer(c); err != nil {
				return err
			}
		}
		return nil
	})
	var got []domain.MSISDN
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.UnlockDue(now)
		return err
	})
	same(t, "UnlockDue(now)", got, []domain.MSISDN{"628110000001", "628110000002"})
	MustView(t, s, func(tx smsgw.Tx) error {
		for m, until := range customers {
			c, err := tx.Customer(m)
			if err != nil {
				return err
			}
			unlocked := until != nil && !until.After(now)
			switch {
			case unlocked && (c.LockedUntil != nil || c.PINFailures != 0):
				t.Errorf("Customer(%s) after UnlockDue = locked %v, failures %d; want unlocked, 0", m, c.LockedUntil, c.PINFailures)
			case !unlocked && until != nil && (c.LockedUntil == nil || !c.LockedUntil.Equal(*until) || c.PINFailures != 3):
				t.Errorf("Customer(%s) after UnlockDue = locked %v, failures %d; want %v, 3", m, c.LockedUntil, c.PINFailures, *until)
			}
		}
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.UnlockDue(now)
		return err
	})
	if len(got) != 0 {
		t.Errorf("second UnlockDue(now) = %v, want none", got)
	}
}

// Within one transaction Customer sees that transaction's own writes
// (UpdateCustomer, UnlockDue) and a change made to the row it returned is
// not seen until it is written.
func testCustomerReadOwnWrites(t *testing.T, s smsgw.Store) {
	c := newCustomer(msisdnA)
	c.PINFailures, c.LockedUntil = 3, ptr(at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(c) })
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		first, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		first.PINFailures = 9 // not written
		if len(first.PINHash) > 0 {
			first.PINHash[0] ^= 0xff // nor this, in place
		}
		again, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		if again.PINFailures != 3 || !bytes.Equal(again.PINHash, c.PINHash) {
			t.Errorf("Customer(A) = failures %d, hash %x after unwritten changes to a returned row, want 3, %x", again.PINFailures, again.PINHash, c.PINHash)
		}
		again.PINFailures = 1
		if err := tx.UpdateCustomer(again); err != nil {
			return err
		}
		if got, err := tx.Customer(msisdnA); err != nil {
			return err
		} else if got.PINFailures != 1 {
			t.Errorf("Customer(A).PINFailures = %d after UpdateCustomer in the same transaction, want 1", got.PINFailures)
		}
		if _, err := tx.UnlockDue(at(time.Hour)); err != nil {
			return err
		}
		got, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		if got.LockedUntil != nil || got.PINFailures != 0 {
			t.Errorf("Customer(A) after UnlockDue in the same transaction = locked %v, failures %d; want unlocked, 0", got.LockedUntil, got.PINFailures)
		}
		return nil
	})
}
