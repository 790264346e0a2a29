package dlr_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/dlr"
	"github.com/smsgw/smsgw/smpp/pdu"
)

// receiptVector is deliver_sm_delivery_receipt from the shared SMPP test
// vectors (smpp-vectors.json).
const receiptVector = "000000AC00000005000000000000000B000101343437373030393030313233000500494E464F000400000000000000006969643A3546334139433031207375623A30303120646C7672643A303031207375626D697420646174653A3234303131353132333020646F6E6520646174653A3234303131353132333120737461743A44454C49565244206572723A30303020746578743A48656C6C6F001E00093546334139433031000427000102"

func TestDeliveryReceiptVector(t *testing.T) {
	frame, err := hex.DecodeString(receiptVector)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pdu.Decode(frame)
	if err != nil {
		t.Fatalf("pdu.Decode(deliver_sm_delivery_receipt) error %v", err)
	}
	d, ok := p.(*pdu.DeliverSM)
	if !ok {
		t.Fatalf("pdu.Decode(deliver_sm_delivery_receipt) = %T, want *pdu.DeliverSM", p)
	}
	got, ok := dlr.FromDeliverSM(d)
	if !ok {
		t.Fatalf("FromDeliverSM(vector) not a receipt")
	}
	want := dlr.Receipt{
		ID:         "5F3A9C01",
		Sub:        "001",
		Dlvrd:      "001",
		SubmitDate: time.Date(2024, 1, 15, 12, 30, 0, 0, time.UTC),
		DoneDate:   time.Date(2024, 1, 15, 12, 31, 0, 0, time.UTC),
		Stat:       "DELIVRD",
		State:      dlr.Delivered,
		Err:        "000",
		Text:       "Hello",
	}
	if got != want {
		t.Errorf("FromDeliverSM(vector) = %+v, want %+v", got, want)
	}
	if got.State.Outcome() != dlr.OutcomeDelivered || !got.State.Final() {
		t.Errorf("State %v: Outcome() = %v, Final() = %v, want delivered, true", got.State, got.State.Outcome(), got.State.Final())
	}
	// The text alone parses to the same fields.
	txt, err := dlr.Parse(string(d.ShortMessage))
	if err != nil || txt != want {
		t.Errorf("Parse(%q) = %+v, %v, want %+v", d.ShortMessage, txt, err, want)
	}
}

func TestParse(t *testing.T) {
	d := func(y, mo, dd, h, mi, s int) time.Time {
		return time.Date(y, time.Month(mo), dd, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		in   string
		want dlr.Receipt
	}{
		{
			name: "spec template",
			in:   "id:0123456789 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 Text:Hello world",
			want: dlr.Receipt{ID: "0123456789", Sub: "001", Dlvrd: "001", SubmitDate: d(2024, 1, 15, 12, 30, 0), DoneDate: d(2024, 1, 15, 12, 31, 0), Stat: "DELIVRD", State: dlr.Delivered, Err: "000", Text: "Hello world"},
		},
		{
			name: "lowercase text key and keys in caps",
			in:   "ID:abc SUB:001 DLVRD:000 STAT:undeliv ERR:001 text:Hi there",
			want: dlr.Receipt{ID: "abc", Sub: "001", Dlvrd: "000", Stat: "UNDELIV", State: dlr.Undeliverable, Err: "001", Text: "Hi there"},
		},
		{
			name: "missing text",
			in:   "id:42 sub:001 dlvrd:000 submit date:2401151230 done date:2401151231 stat:EXPIRED err:000",
			want: dlr.Receipt{ID: "42", Sub: "001", Dlvrd: "000", SubmitDate: d(2024, 1, 15, 12, 30, 0), DoneDate: d(2024, 1, 15, 12, 31, 0), Stat: "EXPIRED", State: dlr.Expired, Err: "000"},
		},
		{
			name: "12-digit dates",
			in:   "id:42 submit date:240115123005 done date:240115123159 stat:DELIVRD",
			want: dlr.Receipt{ID: "42", SubmitDate: d(2024, 1, 15, 12, 30, 5), DoneDate: d(2024, 1, 15, 12, 31, 59), Stat: "DELIVRD", State: dlr.Delivered},
		},
		{
			name: "underscore date keys",
			in:   "id:42 submit_date:2401151230 done_date:2401151231",
			want: dlr.Receipt{ID: "42", SubmitDate: d(2024, 1, 15, 12, 30, 0), DoneDate: d(2024, 1, 15, 12, 31, 0)},
		},
		{
			name: "malformed dates are zero",
			in:   "id:42 submit date:2402301230 done date:24011512",
			want: dlr.Receipt{ID: "42"},
		},
		{
			name: "hour out of range",
			in:   "id:42 submit date:2401152430 done date:2401151260",
			want: dlr.Receipt{ID: "42"},
		},
		{
			name: "uuid id and hex err",
			in:   "id:3f2c9a1e-7b4d-4e8a-9c01-5f3a9c01b2d4 sub:001 dlvrd:000 stat:REJECTD err:0B4 text:",
			want: dlr.Receipt{ID: "3f2c9a1e-7b4d-4e8a-9c01-5f3a9c01b2d4", Sub: "001", Dlvrd: "000", Stat: "REJECTD", State: dlr.Rejected, Err: "0B4"},
		},
		{
			name: "text takes the rest, keys inside it ignored",
			in:   "id:1 text:stat:DELIVRD id:2 err:9",
			want: dlr.Receipt{ID: "1", Text: "stat:DELIVRD id:2 err:9"},
		},
		{
			name: "fields in another order",
			in:   "stat:FAILED err:11 id:777",
			want: dlr.Receipt{ID: "777", Stat: "FAILED", State: dlr.Failed, Err: "11"},
		},
		{
			name: "first occurrence wins",
			in:   "id:1 id:2 stat:DELIVRD stat:EXPIRED",
			want: dlr.Receipt{ID: "1", Stat: "DELIVRD", State: dlr.Delivered},
		},
		{
			name: "space after colon",
			in:   "id: 123 stat: DELIVERED err: text:x",
			want: dlr.Receipt{ID: "123", Stat: "DELIVERED", State: dlr.Delivered, Text: "x"},
		},
		{
			name: "keys only at word start",
			in:   "msgid:9 id:10 xstat:DELIVRD stat:BUFFRED",
			want: dlr.Receipt{ID: "10", Stat: "BUFFRED", State: dlr.Buffered},
		},
		{
			name: "unknown stat word",
			in:   "id:10 stat:WHATEVER",
			want: dlr.Receipt{ID: "10", Stat: "WHATEVER", State: dlr.Unrecognized},
		},
		{
			name: "numeric stat",
			in:   "id:10 stat:2",
			want: dlr.Receipt{ID: "10", Stat: "2", State: dlr.Delivered},
		},
		{
			name: "tabs and newlines",
			in:   "id:10\tstat:ENROUTE\nerr:000",
			want: dlr.Receipt{ID: "10", Stat: "ENROUTE", State: dlr.Enroute, Err: "000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dlr.Parse(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseNoID(t *testing.T) {
	for _, in := range []string{"", "stat:DELIVRD err:000", "id: stat:DELIVRD", "text:id:5", "hello world"} {
		got, err := dlr.Parse(in)
		if !errors.Is(err, dlr.ErrNoID) {
			t.Errorf("Parse(%q) = %+v, %v, want ErrNoID", in, got, err)
		}
	}
}

func TestParseLocation(t *testing.T) {
	loc := time.FixedZone("UTC+7", 7*3600)
	got, err := dlr.Options{Location: loc}.Parse("id:1 done date:2401151231")
	if err != nil {
		t.Fatalf("Parse error %v", err)
	}
	if want := time.Date(2024, 1, 15, 5, 31, 0, 0, time.UTC); !got.DoneDate.Equal(want) || got.DoneDate.Location() != loc {
		t.Errorf("DoneDate = %v, want %v in UTC+7", got.DoneDate, want)
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  string
		want uint64
		ok   bool
	}{
		{"000", 0, true},
		{"11", 11, true},
		{"0B4", 0xB4, true},
		{"0x1f", 0x1F, true},
		{"FF", 0xFF, true},
		{"", 0, false},
		{"n/a", 0, false},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := dlr.Receipt{Err: tt.err}.ErrorCode()
		if got != tt.want || ok != tt.ok {
			t.Errorf("Receipt{Err: %q}.ErrorCode() = %d, %v, want %d, %v", tt.err, got, ok, tt.want, tt.ok)
		}
	}
}

func deliverSM(esm pdu.ESMClass, dcs uint8, sm string, tlvs pdu.TLVs) *pdu.DeliverSM {
	p := &pdu.DeliverSM{}
	p.ESMClass, p.DataCoding, p.ShortMessage, p.TLVs = esm, dcs, []byte(sm), tlvs
	return p
}

func TestFromDeliverSM(t *testing.T) {
	text := "id:0000123 sub:001 dlvrd:000 stat:UNDELIV err:001 text:Hi"
	withTLV := func(f func(*pdu.TLVs)) pdu.TLVs {
		var ts pdu.TLVs
		f(&ts)
		return ts
	}
	tests := []struct {
		name   string
		p      *pdu.DeliverSM
		wantOK bool
		check  func(t *testing.T, r dlr.Receipt)
	}{
		{"not a receipt", deliverSM(0x00, 0, text, nil), false, nil},
		{"UDHI only", deliverSM(0x40, 0, text, nil), false, nil},
		{"receipt with UDHI bit", deliverSM(0x44, 0, text, nil), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "0000123" || r.State != dlr.Undeliverable || r.Err != "001" {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"intermediate notification", deliverSM(0x20, 0, "id:5 stat:ENROUTE", nil), true, func(t *testing.T, r dlr.Receipt) {
			if r.State != dlr.Enroute || r.State.Outcome() != dlr.OutcomePending {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"TLVs override text", deliverSM(0x04, 0, text, withTLV(func(ts *pdu.TLVs) {
			ts.SetCString(pdu.TagReceiptedMessageID, "7B")
			ts.SetUint8(pdu.TagMessageState, 2)
			ts.SetNetworkErrorCode(pdu.NetworkErrorCode{Type: pdu.NetworkGSM, Code: 0x0102})
		})), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "7B" || r.State != dlr.Delivered || r.Stat != "UNDELIV" || r.Err != "258" || r.NetworkType != pdu.NetworkGSM {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"empty receipted_message_id ignored", deliverSM(0x04, 0, text, withTLV(func(ts *pdu.TLVs) {
			ts.SetCString(pdu.TagReceiptedMessageID, "")
		})), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "0000123" {
				t.Errorf("ID = %q, want %q", r.ID, "0000123")
			}
		}},
		{"text in message_payload", deliverSM(0x04, 0, "", withTLV(func(ts *pdu.TLVs) {
			ts.Set(pdu.TagMessagePayload, []byte("id:99 stat:DELIVRD"))
		})), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "99" || r.State != dlr.Delivered {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"only TLVs", deliverSM(0x04, 0, "", withTLV(func(ts *pdu.TLVs) {
			ts.SetCString(pdu.TagReceiptedMessageID, "abc")
			ts.SetUint8(pdu.TagMessageState, 5)
		})), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "abc" || r.State != dlr.Undeliverable || r.State.Outcome() != dlr.OutcomeFailed {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"unknown message_state", deliverSM(0x04, 0, "id:1 stat:DELIVRD", withTLV(func(ts *pdu.TLVs) {
			ts.SetUint8(pdu.TagMessageState, 42)
		})), true, func(t *testing.T, r dlr.Receipt) {
			if r.State != dlr.Unrecognized || r.State.Outcome() != dlr.OutcomeFailed {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"no id anywhere", deliverSM(0x04, 0, "stat:DELIVRD", nil), false, nil},
		{"trailing NUL", deliverSM(0x04, 0, "id:5 text:ok\x00", nil), true, func(t *testing.T, r dlr.Receipt) {
			if r.Text != "ok" {
				t.Errorf("Text = %q, want %q", r.Text, "ok")
			}
		}},
		{"UCS2 text", deliverSM(0x04, 8, "\x00i\x00d\x00:\x007\x00 \x00s\x00t\x00a\x00t\x00:\x00D\x00E\x00L\x00I\x00V\x00R\x00D", nil), true, func(t *testing.T, r dlr.Receipt) {
			if r.ID != "7" || r.State != dlr.Delivered {
				t.Errorf("receipt = %+v", r)
			}
		}},
		{"nil", nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := dlr.FromDeliverSM(tt.p)
			if ok != tt.wantOK {
				t.Fatalf("FromDeliverSM() = %+v, %v, want ok %v", r, ok, tt.wantOK)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestFromDataSM(t *testing.T) {
	p := &pdu.DataSM{ESMClass: pdu.ESMTypeReceipt}
	p.TLVs.Set(pdu.TagMessagePayload, []byte("id:5F3A9C01 stat:EXPIRED err:000"))
	p.TLVs.SetUint8(pdu.TagMessageState, 3)
	r, ok := dlr.FromDataSM(p)
	if !ok || r.ID != "5F3A9C01" || r.State != dlr.Expired || r.Err != "000" {
		t.Errorf("FromDataSM() = %+v, %v, want id 5F3A9C01, Expired", r, ok)
	}
	p.ESMClass = 0
	if r, ok := dlr.FromDataSM(p); ok {
		t.Errorf("FromDataSM(esm_class 0) = %+v, true, want false", r)
	}
	if r, ok := dlr.FromDataSM(nil); ok {
		t.Errorf("FromDataSM(nil) = %+v, true, want false", r)
	}
}

// FuzzParse checks that any text parses without panic and that a parsed
// receipt's fields come from the input.
func FuzzParse(f *testing.F) {
	f.Add("id:5F3A9C01 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 text:Hello")
	f.Add("ID: stat: text:")
	f.Add("id:1 submit_date:240115123005 Text:é")
	f.Add("stat:2 err:0x1F id:00042")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := dlr.Parse(in)
		if (err == nil) != (r.ID != "") {
			t.Fatalf("Parse(%q) = %+v, %v: error and id disagree", in, r, err)
		}
		if err != nil && !errors.Is(err, dlr.ErrNoID) {
			t.Fatalf("Parse(%q) error %v, want ErrNoID", in, err)
		}
		for _, v := range []string{r.ID, r.Sub, r.Dlvrd, r.Err, r.Text} {
			if !strings.Contains(in, v) {
				t.Errorf("Parse(%q) field %q not in the input", in, v)
			}
		}
		if r.State.String() == "" {
			t.Errorf("Parse(%q) state %d has no name", in, r.State)
		}
		r.ErrorCode()
		r.State.Outcome()
	})
}
