package sqlstore

import (
	"testing"

	"github.com/smsgw/smsgw/smsgw"
)

// Which statements make a Tx forget the customer row it keeps.
func TestForgetCustomer(t *testing.T) {
	for _, tc := range []struct {
		query  string
		forget bool
	}{
		{"SELECT msisdn FROM customers WHERE msisdn = ?", false},
		{"  select * from Customers", false},
		{"INSERT INTO sms_log (msisdn) VALUES (?)", false},
		{"UPDATE accounts SET balance = balance + ? WHERE id = ?", false},
		{"SAVEPOINT transfer", false},
		{"RELEASE transfer", false},
		{"UPDATE customers SET pin_failures = ? WHERE msisdn = ?", true},
		{"\n\t\tUPDATE CUSTOMERS SET locked_until = NULL", true},
		{"INSERT INTO customers (msisdn) VALUES (?)", true},
		{"DELETE FROM Customers WHERE msisdn = ?", true},
		{"WITH x AS (SELECT 1) UPDATE customers SET name = ''", true},
		{"ROLLBACK TO transfer", true},
		{"rollback", true},
	} {
		tx := &Tx{customer: &smsgw.Customer{MSISDN: "628110000001"}}
		tx.forgetCustomer(tc.query)
		if got := tx.customer == nil; got != tc.forget {
			t.Errorf("forgetCustomer(%q): forgot %v, want %v", tc.query, got, tc.forget)
		}
	}
}
