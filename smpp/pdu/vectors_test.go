package pdu

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// vectorsPath holds the PDUs encoded by two independent implementations
// (see testdata/README.md for where they come from).
const vectorsPath = "testdata/smpp-vectors.json"

type vectorFile struct {
	PDUs []vector `json:"pdus"`
}

type vector struct {
	Name    string `json:"name"`
	Hex     string `json:"hex"`
	Decoded struct {
		Header struct {
			CommandLength int    `json:"command_length"`
			CommandID     string `json:"command_id"`
			Command       string `json:"command"`
			Status        string `json:"command_status"`
			StatusName    string `json:"command_status_name"`
			Seq           uint32 `json:"sequence_number"`
		} `json:"header"`
		Body map[string]any `json:"body"`
		TLVs []vectorTLV    `json:"tlvs"`
	} `json:"decoded"`
}

type vectorTLV struct {
	Tag      string `json:"tag"`
	Name     string `json:"name"`
	Length   int    `json:"length"`
	ValueHex string `json:"value_hex"`
	Value    any    `json:"value"`
}

// loadVectors reads the vectors; a missing file fails the test.
func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		tb.Fatalf("read vectors: %v", err)
	}
	var vf vectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		tb.Fatalf("parse vectors: %v", err)
	}
	if len(vf.PDUs) == 0 {
		tb.Fatal("no pdu vectors")
	}
	return vf.PDUs
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func vectorByName(tb testing.TB, name string) []byte {
	tb.Helper()
	for _, v := range loadVectors(tb) {
		if v.Name == name {
			return mustHex(tb, v.Hex)
		}
	}
	tb.Fatalf("no vector %q", name)
	return nil
}

func parseHex32(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 0, 32)
	return uint32(v), err
}

// bodyReader takes fields out of a vector body and remembers which were
// used, so that a field the builder forgot fails the test.
type bodyReader struct {
	m    map[string]any
	used map[string]bool
	err  error
}

func (r *bodyReader) take(k string) any {
	v, ok := r.m[k]
	if !ok && r.err == nil {
		r.err = fmt.Errorf("body field %q missing", k)
	}
	r.used[k] = true
	return v
}

func (r *bodyReader) str(k string) string {
	s, ok := r.take(k).(string)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("body field %q is not a string", k)
	}
	return s
}

func (r *bodyReader) u8(k string) uint8 {
	f, ok := r.take(k).(float64)
	if (!ok || f < 0 || f > 255 || f != float64(uint8(f))) && r.err == nil {
		r.err = fmt.Errorf("body field %q is not an octet", k)
	}
	return uint8(f)
}

// shortMessage returns short_message_hex checked against sm_length.
func (r *bodyReader) shortMessage() []byte {
	b, err := hex.DecodeString(r.str("short_message_hex"))
	if err != nil && r.err == nil {
		r.err = err
	}
	if n := int(r.u8("sm_length")); n != len(b) && r.err == nil {
		r.err = fmt.Errorf("sm_length %d but short_message has %d octets", n, len(b))
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

func (r *bodyReader) done() error {
	if r.err != nil {
		return r.err
	}
	for k := range r.m {
		if !r.used[k] {
			return fmt.Errorf("body field %q not handled by the test", k)
		}
	}
	return nil
}

func (r *bodyReader) messageFields(tlvs TLVs) MessageFields {
	return MessageFields{
		ServiceType:          r.str("service_type"),
		SourceAddrTON:        r.u8("source_addr_ton"),
		SourceAddrNPI:        r.u8("source_addr_npi"),
		SourceAddr:           r.str("source_addr"),
		DestAddrTON:          r.u8("dest_addr_ton"),
		DestAddrNPI:          r.u8("dest_addr_npi"),
		DestinationAddr:      r.str("destination_addr"),
		ESMClass:             ESMClass(r.u8("esm_class")),
		ProtocolID:           r.u8("protocol_id"),
		PriorityFlag:         r.u8("priority_flag"),
		ScheduleDeliveryTime: r.str("schedule_delivery_time"),
		ValidityPeriod:       r.str("validity_period"),
		RegisteredDelivery:   r.u8("registered_delivery"),
		ReplaceIfPresentFlag: r.u8("replace_if_present_flag"),
		DataCoding:           r.u8("data_coding"),
		SMDefaultMsgID:       r.u8("sm_default_msg_id"),
		ShortMessage:         r.shortMessage(),
		TLVs:                 tlvs,
	}
}

// buildVector makes the PDU from the JSON fields alone.
func buildVector(v *vector) (PDU, error) {
	hd := v.Decoded.Header
	id, err := parseHex32(hd.CommandID)
	if err != nil {
		return nil, err
	}
	st, err := parseHex32(hd.Status)
	if err != nil {
		return nil, err
	}
	h := Header{Length: uint32(hd.CommandLength), ID: CommandID(id), Status: Status(st), Seq: hd.Seq}
	var tlvs TLVs
	for _, jt := range v.Decoded.TLVs {
		tag, err := strconv.ParseUint(jt.Tag, 0, 16)
		if err != nil {
			return nil, err
		}
		val, err := hex.DecodeString(jt.ValueHex)
		if err != nil {
			return nil, err
		}
		if len(val) != jt.Length {
			return nil, fmt.Errorf("tlv %s: length %d but value has %d octets", jt.Tag, jt.Length, len(val))
		}
		if len(val) == 0 {
			val = nil
		}
		tlvs = append(tlvs, TLV{Tag: Tag(tag), Value: val})
	}
	r := &bodyReader{m: v.Decoded.Body, used: map[string]bool{}}
	var p PDU
	switch h.ID {
	case BindReceiverID, BindTransmitterID, BindTransceiverID:
		p = &Bind{
			Header:           h,
			SystemID:         r.str("system_id"),
			Password:         r.str("password"),
			SystemType:       r.str("system_type"),
			InterfaceVersion: r.u8("interface_version"),
			AddrTON:          r.u8("addr_ton"),
			AddrNPI:          r.u8("addr_npi"),
			AddressRange:     r.str("address_range"),
		}
	case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID:
		x := &BindResp{Header: h, TLVs: tlvs}
		if len(r.m) > 0 {
			x.SystemID = r.str("system_id")
		}
		p = x
	case OutbindID:
		p = &Outbind{Header: h, SystemID: r.str("system_id"), Password: r.str("password")}
	case SubmitSMID:
		p = &SubmitSM{Header: h, MessageFields: r.messageFields(tlvs)}
	case DeliverSMID:
		p = &DeliverSM{Header: h, MessageFields: r.messageFields(tlvs)}
	case SubmitSMRespID:
		x := &SubmitSMResp{Header: h, TLVs: tlvs}
		if len(r.m) > 0 {
			x.MessageID = r.str("message_id")
		}
		p = x
	case DeliverSMRespID:
		p = &DeliverSMResp{Header: h, MessageID: r.str("message_id"), TLVs: tlvs}
	case DataSMID:
		p = &DataSM{
			Header:             h,
			ServiceType:        r.str("service_type"),
			SourceAddrTON:      r.u8("source_addr_ton"),
			SourceAddrNPI:      r.u8("source_addr_npi"),
			SourceAddr:         r.str("source_addr"),
			DestAddrTON:        r.u8("dest_addr_ton"),
			DestAddrNPI:        r.u8("dest_addr_npi"),
			DestinationAddr:    r.str("destination_addr"),
			ESMClass:           ESMClass(r.u8("esm_class")),
			RegisteredDelivery: r.u8("registered_delivery"),
			DataCoding:         r.u8("data_coding"),
			TLVs:               tlvs,
		}
	case DataSMRespID:
		x := &DataSMResp{Header: h, TLVs: tlvs}
		if len(r.m) > 0 {
			x.MessageID = r.str("message_id")
		}
		p = x
	case QuerySMID:
		p = &QuerySM{
			Header:        h,
			MessageID:     r.str("message_id"),
			SourceAddrTON: r.u8("source_addr_ton"),
			SourceAddrNPI: r.u8("source_addr_npi"),
			SourceAddr:    r.str("source_addr"),
		}
	case QuerySMRespID:
		p = &QuerySMResp{
			Header:       h,
			MessageID:    r.str("message_id"),
			FinalDate:    r.str("final_date"),
			MessageState: r.u8("message_state"),
			ErrorCode:    r.u8("error_code"),
		}
	case EnquireLinkID:
		p = &EnquireLink{h}
	case EnquireLinkRespID:
		p = &EnquireLinkResp{h}
	case GenericNackID:
		p = &GenericNack{h}
	case UnbindID:
		p = &Unbind{h}
	case UnbindRespID:
		p = &UnbindResp{h}
	default:
		return nil, fmt.Errorf("no builder for %v", h.ID)
	}
	if len(tlvs) > 0 {
		switch p.(type) {
		case *BindResp, *SubmitSM, *DeliverSM, *SubmitSMResp, *DeliverSMResp, *DataSM, *DataSMResp:
		default:
			return nil, fmt.Errorf("%v vector has tlvs the type cannot hold", h.ID)
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return p, nil
}

// pduTLVs returns the TLV list of p, if its type has one.
func pduTLVs(p PDU) TLVs {
	switch x := p.(type) {
	case *BindResp:
		return x.TLVs
	case *SubmitSM:
		return x.TLVs
	case *DeliverSM:
		return x.TLVs
	case *SubmitSMResp:
		return x.TLVs
	case *DeliverSMResp:
		return x.TLVs
	case *DataSM:
		return x.TLVs
	case *DataSMResp:
		return x.TLVs
	case *AlertNotification:
		return x.TLVs
	case *SubmitMulti:
		return x.TLVs
	}
	return nil
}

// checkTLVValue checks the typed accessors against the parsed value the
// vector gives for a TLV.
func checkTLVValue(t *testing.T, ts TLVs, jt vectorTLV) {
	t.Helper()
	tag64, _ := strconv.ParseUint(jt.Tag, 0, 16)
	tag := Tag(tag64)
	if got := tag.String(); got != jt.Name {
		t.Errorf("Tag(%s).String() = %q, want %q", jt.Tag, got, jt.Name)
	}
	info, ok := LookupTag(tag)
	if !ok {
		t.Errorf("LookupTag(%s) not found", jt.Tag)
		return
	}
	switch want := jt.Value.(type) {
	case float64:
		var got uint64
		var ok bool
		switch info.Kind {
		case KindInt1:
			var v uint8
			v, ok = ts.Uint8(tag)
			got = uint64(v)
		case KindInt2:
			var v uint16
			v, ok = ts.Uint16(tag)
			got = uint64(v)
		case KindInt4:
			var v uint32
			v, ok = ts.Uint32(tag)
			got = uint64(v)
		default:
			t.Errorf("tlv %s: numeric value for kind %d", jt.Name, info.Kind)
			return
		}
		if !ok || float64(got) != want {
			t.Errorf("TLVs.Uint(%v) = %d, %v, want %v", tag, got, ok, want)
		}
	case string:
		if info.Kind == KindCString {
			if got, ok := ts.CString(tag); !ok || got != want {
				t.Errorf("TLVs.CString(%v) = %q, %v, want %q", tag, got, ok, want)
			}
		} else if tag != TagMessagePayload {
			// message_payload's value is given as decoded text, which is
			// package text's business; its octets are compared via value_hex.
			t.Errorf("tlv %s: string value for kind %d not checked", jt.Name, info.Kind)
		}
	case map[string]any:
		if tag != TagITSSessionInfo {
			t.Errorf("tlv %s: unexpected structured value", jt.Name)
			return
		}
		got, ok := ts.ITSSessionInfo()
		wantInfo := ITSSessionInfo{
			Session:  uint8(want["session_number"].(float64)),
			Sequence: uint8(want["dialogue_seq"].(float64)),
			End:      want["end_of_session"].(bool),
		}
		if !ok || got != wantInfo {
			t.Errorf("TLVs.ITSSessionInfo() = %+v, %v, want %+v", got, ok, wantInfo)
		}
		if b := wantInfo.Bytes(); !bytes.Equal(b, mustHex(t, jt.ValueHex)) {
			t.Errorf("ITSSessionInfo(%+v).Bytes() = %X, want %s", wantInfo, b, jt.ValueHex)
		}
	default:
		t.Errorf("tlv %s: value of type %T not checked", jt.Name, jt.Value)
	}
}

func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) != 27 {
		t.Errorf("got %d pdu vectors, want 27", len(vectors))
	}
	for i := range vectors {
		v := &vectors[i]
		t.Run(v.Name, func(t *testing.T) {
			wire := mustHex(t, v.Hex)
			want, err := buildVector(v)
			if err != nil {
				t.Fatalf("build from json: %v", err)
			}
			hd := v.Decoded.Header
			if got := want.Hdr().ID.String(); got != hd.Command {
				t.Errorf("CommandID(%s).String() = %q, want %q", hd.CommandID, got, hd.Command)
			}
			if got := want.Hdr().Status.Name(); got != hd.StatusName {
				t.Errorf("Status(%s).Name() = %q, want %q", hd.Status, got, hd.StatusName)
			}
			if hd.CommandLength != len(wire) {
				t.Fatalf("command_length %d but hex has %d octets", hd.CommandLength, len(wire))
			}

			// (1) decode and compare every field.
			got, err := Decode(wire)
			if err != nil {
				t.Fatalf("Decode(%s) error %v", v.Hex, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(%s) =\n%#v\nwant\n%#v", v.Hex, got, want)
			}
			ts := pduTLVs(got)
			if len(ts) != len(v.Decoded.TLVs) {
				t.Errorf("Decode(%s) has %d tlvs, want %d", v.Hex, len(ts), len(v.Decoded.TLVs))
			}
			for _, jt := range v.Decoded.TLVs {
				checkTLVValue(t, ts, jt)
			}

			// (2) re-encode the decoded PDU.
			enc, err := Marshal(got)
			if err != nil {
				t.Fatalf("Marshal(decoded) error %v", err)
			}
			if !bytes.Equal(enc, wire) {
				t.Errorf("Marshal(decoded) = %X, want %s", enc, v.Hex)
			}

			// (3) encode the PDU built from the JSON fields alone.
			want.Hdr().Length = 0
			enc, err = Marshal(want)
			if err != nil {
				t.Fatalf("Marshal(from json) error %v", err)
			}
			if !bytes.Equal(enc, wire) {
				t.Errorf("Marshal(from json) = %X, want %s", enc, v.Hex)
			}
			if got := want.Hdr().Length; int(got) != len(wire) {
				t.Errorf("Marshal set Header.Length = %d, want %d", got, len(wire))
			}
		})
	}
}

// TestShortVectors keeps the three short PDUs of the notes verbatim, so the
// basics are covered by literal bytes as well.
func TestShortVectors(t *testing.T) {
	tests := []struct {
		hex  string
		want PDU
	}{
		{"0000001000000015000000000000000D", &EnquireLink{Header{Length: 16, ID: EnquireLinkID, Seq: 13}}},
		{"0000001080000000000000030000002A", &GenericNack{Header{Length: 16, ID: GenericNackID, Status: StatusInvCmdID, Seq: 42}}},
		{"0000001180000005000000000000000A00", &DeliverSMResp{Header: Header{Length: 17, ID: DeliverSMRespID, Seq: 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.hex, func(t *testing.T) {
			wire := mustHex(t, tt.hex)
			got, err := Decode(wire)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode(%s) = %#v, %v, want %#v", tt.hex, got, err, tt.want)
			}
			enc, err := Marshal(got)
			if err != nil || !bytes.Equal(enc, wire) {
				t.Errorf("Marshal(%#v) = %X, %v, want %s", got, enc, err, tt.hex)
			}
		})
	}
}
