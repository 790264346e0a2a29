package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fullPDUs returns one PDU of every type with every field set to a non-zero
// value (where the wire allows one).
func fullPDUs() []PDU {
	tlvs := func() TLVs {
		var ts TLVs
		ts.SetUint16(TagUserMessageReference, 0x1234)
		ts.SetUint8(TagUSSDServiceOp, 2)
		ts.SetITSSessionInfo(ITSSessionInfo{Session: 7, Sequence: 3, End: true})
		ts.SetCString(TagReceiptedMessageID, "ABC123")
		ts = append(ts, TLV{Tag: 0x1400, Value: []byte{0xDE, 0xAD}})            // vendor tag
		ts = append(ts, TLV{Tag: TagUserMessageReference, Value: []byte{0, 9}}) // repeated
		ts.SetNetworkErrorCode(NetworkErrorCode{Type: NetworkGSM, Code: 0x0102})
		ts.Set(TagAlertOnMessageDelivery, nil)
		return ts
	}
	msg := func() MessageFields {
		return MessageFields{
			ServiceType:          "USSD1",
			SourceAddrTON:        1,
			SourceAddrNPI:        1,
			SourceAddr:           "44770090012345678901",
			DestAddrTON:          5,
			DestAddrNPI:          9,
			DestinationAddr:      "INFO",
			ESMClass:             ESMUDHI | 0x03,
			ProtocolID:           0x7F,
			PriorityFlag:         3,
			ScheduleDeliveryTime: "240115123000004+",
			ValidityPeriod:       "000001000000000R",
			RegisteredDelivery:   0x11,
			ReplaceIfPresentFlag: 1,
			DataCoding:           0xF1,
			SMDefaultMsgID:       4,
			ShortMessage:         []byte{0x05, 0x00, 0x03, 0xA7, 0x02, 0x01, 'h', 0x00, 'i'},
			TLVs:                 tlvs(),
		}
	}
	return []PDU{
		&GenericNack{Header{ID: GenericNackID, Status: StatusInvCmdLen, Seq: 0x7FFFFFFF}},
		&Bind{Header: Header{ID: BindTransceiverID, Seq: 1}, SystemID: "012345678901234", Password: "12345678",
			SystemType: "VMA123456789", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: strings.Repeat("9", 40)},
		&Bind{Header: Header{ID: BindReceiverID, Seq: 2}, SystemID: "r"},
		&Bind{Header: Header{ID: BindTransmitterID, Seq: 3}, SystemID: "t"},
		&BindResp{Header: Header{ID: BindTransceiverRespID, Seq: 1}, SystemID: "SMSC",
			TLVs: TLVs{{Tag: TagSCInterfaceVersion, Value: []byte{0x34}}}},
		&BindResp{Header: Header{ID: BindReceiverRespID, Status: StatusInvPassword, Seq: 2}},
		&BindResp{Header: Header{ID: BindTransmitterRespID, Status: StatusAlreadyBound, Seq: 3}, SystemID: "SMSC"},
		&Outbind{Header: Header{ID: OutbindID, Seq: 9}, SystemID: "SMSC", Password: "secret"},
		&Unbind{Header{ID: UnbindID, Seq: 5}},
		&UnbindResp{Header{ID: UnbindRespID, Seq: 5}},
		&EnquireLink{Header{ID: EnquireLinkID, Seq: 6}},
		&EnquireLinkResp{Header{ID: EnquireLinkRespID, Seq: 6}},
		&SubmitSM{Header: Header{ID: SubmitSMID, Seq: 7}, MessageFields: msg()},
		&DeliverSM{Header: Header{ID: DeliverSMID, Seq: 8}, MessageFields: msg()},
		&SubmitSMResp{Header: Header{ID: SubmitSMRespID, Seq: 7}, MessageID: strings.Repeat("f", 64),
			TLVs: TLVs{{Tag: TagAdditionalStatusInfoText, Value: []byte("ok\x00")}}},
		&SubmitSMResp{Header: Header{ID: SubmitSMRespID, Status: StatusThrottled, Seq: 7}},
		&DeliverSMResp{Header: Header{ID: DeliverSMRespID, Seq: 8}},
		&DeliverSMResp{Header: Header{ID: DeliverSMRespID, Status: StatusXTAppn, Seq: 8}},
		&DataSM{Header: Header{ID: DataSMID, Seq: 10}, ServiceType: "WAP", SourceAddrTON: 2, SourceAddrNPI: 8,
			SourceAddr: strings.Repeat("1", 64), DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: strings.Repeat("2", 64),
			ESMClass: ESMReplyPath, RegisteredDelivery: 1, DataCoding: 8, TLVs: append(tlvs(),
				TLV{Tag: TagMessagePayload, Value: bytes.Repeat([]byte{0xAB}, 1000)})},
		&DataSMResp{Header: Header{ID: DataSMRespID, Seq: 10}, MessageID: "m1", TLVs: TLVs{
			{Tag: TagDeliveryFailureReason, Value: []byte{1}},
			{Tag: TagNetworkErrorCode, Value: []byte{3, 0, 27}},
			{Tag: TagAdditionalStatusInfoText, Value: []byte("absent subscriber\x00")},
			{Tag: TagDPFResult, Value: []byte{1}},
		}},
		&DataSMResp{Header: Header{ID: DataSMRespID, Status: StatusDeliveryFailure, Seq: 11}},
		&QuerySM{Header: Header{ID: QuerySMID, Seq: 12}, MessageID: "5F3A9C01", SourceAddrTON: 5, SourceAddrNPI: 0, SourceAddr: "INFO"},
		&QuerySMResp{Header: Header{ID: QuerySMRespID, Seq: 12}, MessageID: "5F3A9C01", FinalDate: "240115123100004+",
			MessageState: 2, ErrorCode: 7},
		&QuerySMResp{Header: Header{ID: QuerySMRespID, Status: StatusQueryFail, Seq: 13}},
		&CancelSM{Header: Header{ID: CancelSMID, Seq: 14}, ServiceType: "CMT", MessageID: "id", SourceAddrTON: 1,
			SourceAddrNPI: 1, SourceAddr: "123", DestAddrTON: 2, DestAddrNPI: 2, DestinationAddr: "456"},
		&CancelSMResp{Header{ID: CancelSMRespID, Seq: 14}},
		&ReplaceSM{Header: Header{ID: ReplaceSMID, Seq: 15}, MessageID: "id", SourceAddrTON: 1, SourceAddrNPI: 1,
			SourceAddr: "123", ScheduleDeliveryTime: "991231235959948-", ValidityPeriod: "000000010000000R",
			RegisteredDelivery: 1, SMDefaultMsgID: 3, ShortMessage: bytes.Repeat([]byte{'x'}, 254)},
		&ReplaceSMResp{Header{ID: ReplaceSMRespID, Seq: 15}},
		&SubmitMulti{Header: Header{ID: SubmitMultiID, Seq: 16}, ServiceType: "CMT", SourceAddrTON: 5, SourceAddr: "INFO",
			Dests: []DestAddress{
				{Flag: DestFlagSME, TON: 1, NPI: 1, Addr: "447700900123"},
				{Flag: DestFlagDistribution, DLName: "friends"},
				{Flag: DestFlagSME, TON: 0, NPI: 0, Addr: ""},
			},
			ESMClass: 0x03, ProtocolID: 1, PriorityFlag: 1, ScheduleDeliveryTime: "240115123000004+",
			ValidityPeriod: "240116123000004+", RegisteredDelivery: 1, ReplaceIfPresentFlag: 1, DataCoding: 3,
			SMDefaultMsgID: 1, ShortMessage: []byte("hello"), TLVs: tlvs()},
		&SubmitMultiResp{Header: Header{ID: SubmitMultiRespID, Seq: 16}, MessageID: "m2", Unsuccess: []UnsuccessSME{
			{TON: 1, NPI: 1, Addr: "447700900124", Status: StatusInvDstAddr},
			{TON: 0, NPI: 0, Addr: "x", Status: 0x0400},
		}},
		&SubmitMultiResp{Header: Header{ID: SubmitMultiRespID, Seq: 17}, MessageID: "m3"},
		&AlertNotification{Header: Header{ID: AlertNotificationID, Seq: 18}, SourceAddrTON: 1, SourceAddrNPI: 1,
			SourceAddr: strings.Repeat("3", 64), ESMEAddrTON: 2, ESMEAddrNPI: 2, ESMEAddr: "ESME",
			TLVs: TLVs{{Tag: TagMSAvailabilityStatus, Value: []byte{0}}}},
	}
}

func TestRoundTrip(t *testing.T) {
	seen := map[reflect.Type]bool{}
	for _, p := range fullPDUs() {
		seen[reflect.TypeOf(p)] = true
		t.Run(p.Hdr().ID.String(), func(t *testing.T) {
			wire, err := Marshal(p)
			if err != nil {
				t.Fatalf("Marshal(%#v) error %v", p, err)
			}
			if got := binary.BigEndian.Uint32(wire); int(got) != len(wire) || p.Hdr().Length != got {
				t.Errorf("command_length = %d, Header.Length = %d, want %d", got, p.Hdr().Length, len(wire))
			}
			got, err := Decode(wire)
			if err != nil {
				t.Fatalf("Decode(Marshal(%#v)) error %v", p, err)
			}
			if !reflect.DeepEqual(got, p) {
				t.Errorf("Decode(Marshal(p)) =\n%#v\nwant\n%#v", got, p)
			}
			again, err := Append([]byte("prefix"), got)
			if err != nil || !bytes.Equal(again[6:], wire) || string(again[:6]) != "prefix" {
				t.Errorf("Append(prefix, Decode(wire)) = %X, %v, want prefix + %X", again, err, wire)
			}
		})
	}
	for id := range commandNames {
		if typ := reflect.TypeOf(New(id)); !seen[typ] {
			t.Errorf("no round-trip case for %v (%v)", id, typ)
		}
	}
}

// patchLen returns a copy of frame cut to n octets with command_length n.
func patchLen(frame []byte, n int) []byte {
	b := bytes.Clone(frame[:n])
	if n >= 4 {
		binary.BigEndian.PutUint32(b, uint32(n))
	}
	return b
}

var sentinels = []error{ErrTruncated, ErrTrailingData, ErrStringTooLong, ErrUnknownCommand, ErrBadLength,
	ErrTLVStream, ErrTLVLength, ErrInvalidValue}

// checkDecodeError asserts err is a *DecodeError wrapping a sentinel with a
// non-OK status.
func checkDecodeError(t *testing.T, frame []byte, err error) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("Decode(%X) error %v (%T), want *DecodeError", frame, err, err)
	}
	if de.Status == StatusOK {
		t.Errorf("Decode(%X) error %v has status OK", frame, err)
	}
	known := false
	for _, s := range sentinels {
		known = known || errors.Is(err, s)
	}
	if !known {
		t.Errorf("Decode(%X) error %v wraps no sentinel", frame, err)
	}
	return de
}

// TestDecodeTruncated cuts every PDU at every offset, with and without a
// matching command_length.
func TestDecodeTruncated(t *testing.T) {
	for _, p := range fullPDUs() {
		wire, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(p.Hdr().ID.String(), func(t *testing.T) {
			for n := 0; n < len(wire); n++ {
				cut := wire[:n]
				got, err := Decode(cut)
				if got != nil || err == nil {
					t.Fatalf("Decode(%X) = %v, %v, want an error", cut, got, err)
				}
				de := checkDecodeError(t, cut, err)
				if n >= HeaderLen && (!errors.Is(err, ErrBadLength) || de.Status != StatusInvCmdLen || de.Seq != p.Hdr().Seq) {
					t.Errorf("Decode(%X) error %+v, want ErrBadLength, ESME_RINVCMDLEN, seq %d", cut, de, p.Hdr().Seq)
				}

				patched := patchLen(wire, n)
				got, err = Decode(patched)
				if err == nil {
					// A valid prefix (TLVs cut off whole) must encode
					// back to itself. An OK response cut to its header
					// is accepted leniently and gets its NUL fields back.
					enc, merr := Marshal(got)
					if merr != nil {
						t.Fatalf("Marshal(Decode(%X)) error %v", patched, merr)
					}
					if n == HeaderLen && got.Hdr().ID.IsResponse() {
						again, err := Decode(enc)
						got.Hdr().Length = uint32(len(enc))
						if err != nil || !reflect.DeepEqual(again, got) {
							t.Errorf("Decode(Marshal(Decode(%X))) = %#v, %v, want %#v", patched, again, err, got)
						}
					} else if !bytes.Equal(enc, patched) {
						t.Errorf("Decode(%X) succeeded but Marshal = %X", patched, enc)
					}
					continue
				}
				de = checkDecodeError(t, patched, err)
				if got != nil && !errors.Is(err, ErrTLVStream) {
					t.Errorf("Decode(%X) returned a PDU with error %v", patched, err)
				}
				if n >= HeaderLen && (de.ID != p.Hdr().ID || de.Seq != p.Hdr().Seq) {
					t.Errorf("Decode(%X) error header %v/%d, want %v/%d", patched, de.ID, de.Seq, p.Hdr().ID, p.Hdr().Seq)
				}
			}
		})
	}
}

// frame builds a PDU from a header and body octets.
func frame(id CommandID, status Status, seq uint32, body ...[]byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	b = binary.BigEndian.AppendUint32(b, uint32(status))
	b = binary.BigEndian.AppendUint32(b, seq)
	for _, x := range body {
		b = append(b, x...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

func cs(s string) []byte { return append([]byte(s), 0) }

// msgBody returns a submit_sm/deliver_sm body with the given addresses,
// esm_class and short message, without TLVs.
func msgBody(service, src, dst string, esm byte, sm []byte) []byte {
	var b []byte
	b = append(b, cs(service)...)
	b = append(b, 1, 1)
	b = append(b, cs(src)...)
	b = append(b, 1, 1)
	b = append(b, cs(dst)...)
	b = append(b, esm, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(sm)))
	return append(b, sm...)
}

func cutTail(b []byte, n int) []byte { return b[:len(b)-n] }

func tlv(tag Tag, v ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(tag))
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func TestDecodeErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		frame   []byte
		err     error
		status  Status
		field   string
		partial bool // the PDU is returned with the error
	}{
		{"unknown command", frame(0x00000099, 0, 77), ErrUnknownCommand, StatusInvCmdID, "", false},
		{"unknown response", frame(0x80000099, 0, 77, []byte{1, 2}), ErrUnknownCommand, StatusInvCmdID, "", false},
		{"short header", []byte{0, 0, 0, 12, 0, 0, 0, 0x15, 0, 0, 0, 0}, ErrTruncated, StatusInvCmdLen, "", false},
		{"length above frame", append(frame(EnquireLinkID, 0, 1)[:3], 17, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1), ErrBadLength, StatusInvCmdLen, "", false},
		{"enquire_link trailing", frame(EnquireLinkID, 0, 1, []byte{0}), ErrTrailingData, StatusInvCmdLen, "", false},
		{"generic_nack trailing", frame(GenericNackID, StatusInvCmdID, 1, []byte{0, 0, 0, 0}), ErrTrailingData, StatusInvCmdLen, "", false},
		{"unbind_resp trailing", frame(UnbindRespID, 0, 1, []byte{9}), ErrTrailingData, StatusInvCmdLen, "", false},
		{"bind trailing", frame(BindTransceiverID, 0, 1, cs("id"), cs("pw"), cs(""), []byte{0x34, 0, 0}, cs(""), []byte{0}), ErrTrailingData, StatusInvCmdLen, "", false},
		{"query_sm trailing", frame(QuerySMID, 0, 1, cs("id"), []byte{0, 0}, cs("a"), tlv(TagUserMessageReference, 0, 1)), ErrTrailingData, StatusInvCmdLen, "", false},
		{"system_id too long", frame(BindTransceiverID, 0, 1, cs(long(16)), cs("pw"), cs(""), []byte{0x34, 0, 0}, cs("")), ErrStringTooLong, StatusInvSysID, "system_id", false},
		{"password too long", frame(BindTransceiverID, 0, 1, cs("id"), cs(long(9)), cs(""), []byte{0x34, 0, 0}, cs("")), ErrStringTooLong, StatusInvPassword, "password", false},
		{"system_type too long", frame(BindTransmitterID, 0, 1, cs("id"), cs("pw"), cs(long(13)), []byte{0x34, 0, 0}, cs("")), ErrStringTooLong, StatusInvSysType, "system_type", false},
		{"service_type too long", frame(SubmitSMID, 0, 1, msgBody(long(6), "1", "2", 0, nil)), ErrStringTooLong, StatusInvServiceType, "service_type", false},
		{"source_addr too long", frame(SubmitSMID, 0, 1, msgBody("", long(21), "2", 0, nil)), ErrStringTooLong, StatusInvSrcAddr, "source_addr", false},
		{"destination_addr too long", frame(DeliverSMID, 0, 1, msgBody("", "1", long(21), 0, nil)), ErrStringTooLong, StatusInvDstAddr, "destination_addr", false},
		{"message_id too long", frame(SubmitSMRespID, 0, 1, cs(long(65))), ErrStringTooLong, StatusInvMsgID, "message_id", false},
		{"string without NUL at end", frame(SubmitSMRespID, 0, 1, []byte("abc")), ErrTruncated, StatusInvCmdLen, "message_id", false},
		{"schedule time 15 chars", frame(SubmitSMID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 1}, cs("2"), []byte{0, 0, 0}, cs(long(15)), cs(""), []byte{0, 0, 0, 0, 0}), ErrBadLength, StatusInvSched, "schedule_delivery_time", false},
		{"validity 17 chars", frame(SubmitSMID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 1}, cs("2"), []byte{0, 0, 0}, cs(""), cs(long(17)), []byte{0, 0, 0, 0, 0}), ErrStringTooLong, StatusInvExpiry, "validity_period", false},
		{"sm_length 255", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0, bytes.Repeat([]byte{'x'}, 255))), ErrBadLength, StatusInvMsgLen, "sm_length", false},
		{"sm_length past end", frame(SubmitSMID, 0, 1, cutTail(msgBody("", "1", "2", 0, []byte("abc")), 2)), ErrTruncated, StatusInvMsgLen, "short_message", false},
		{"tlv header cut", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0, nil), tlv(TagUSSDServiceOp, 1), []byte{0x05, 0x01, 0x00}), ErrTLVStream, StatusInvOptParStream, "tlv", true},
		{"tlv value past end", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0, nil), tlv(TagUSSDServiceOp, 1), tlv(TagMessagePayload, 1, 2, 3)[:6]), ErrTLVStream, StatusInvOptParStream, "tlv message_payload", true},
		{"receipt tlv past end", frame(DeliverSMID, 0, 1, msgBody("", "1", "2", 0x04, nil), tlv(TagMessageState, 2), tlv(TagReceiptedMessageID, 'a', 0)[:5]), ErrTLVStream, StatusInvOptParStream, "tlv receipted_message_id", true},
		{"resp tlv past end", frame(DataSMRespID, 0, 1, cs("id"), tlv(TagDPFResult, 1)[:3]), ErrTLVStream, StatusInvOptParStream, "tlv", true},
		{"request tlv bad length", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0, nil), tlv(TagUSSDServiceOp, 1, 0)), ErrTLVLength, StatusInvParLen, "tlv ussd_service_op", false},
		{"mo tlv bad length", frame(DeliverSMID, 0, 1, msgBody("", "1", "2", 0, nil), tlv(TagITSSessionInfo, 1)), ErrTLVLength, StatusInvParLen, "tlv its_session_info", false},
		{"data_sm tlv bad length", frame(DataSMID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 1}, cs("2"), []byte{0, 0, 0}, tlv(TagSarMsgRefNum, 1)), ErrTLVLength, StatusInvParLen, "tlv sar_msg_ref_num", false},
		{"request c-string tlv too long", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0, nil), tlv(TagReceiptedMessageID, bytes.Repeat([]byte{'1'}, 66)...)), ErrTLVLength, StatusInvParLen, "tlv receipted_message_id", false},
		{"submit_multi bad dest_flag", frame(SubmitMultiID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 3}), ErrInvalidValue, StatusInvDestFlag, "dest_flag", false},
		{"submit_multi 255 dests", frame(SubmitMultiID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{255}), ErrInvalidValue, StatusInvNumDests, "number_of_dests", false},
		{"submit_multi dl_name too long", frame(SubmitMultiID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 2}, cs(long(21))), ErrStringTooLong, StatusInvDLName, "dl_name", false},
		{"query_sm_resp bad final_date", frame(QuerySMRespID, 0, 1, cs("id"), cs("2401"), []byte{2, 0}), ErrBadLength, StatusInvMsgLen, "final_date", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.frame)
			de := checkDecodeError(t, tt.frame, err)
			if !errors.Is(err, tt.err) || de.Status != tt.status || de.Field != tt.field {
				t.Errorf("Decode(%X) error %v (status %v, field %q), want %v, %v, %q", tt.frame, err, de.Status, de.Field, tt.err, tt.status, tt.field)
			}
			if (p != nil) != tt.partial {
				t.Errorf("Decode(%X) PDU = %v, want returned %v", tt.frame, p, tt.partial)
			}
			if len(tt.frame) >= HeaderLen {
				if id := CommandID(binary.BigEndian.Uint32(tt.frame[4:])); de.ID != id {
					t.Errorf("Decode(%X) error ID %v, want %v", tt.frame, de.ID, id)
				}
				if seq := binary.BigEndian.Uint32(tt.frame[12:]); de.Seq != seq {
					t.Errorf("Decode(%X) error Seq %d, want %d", tt.frame, de.Seq, seq)
				}
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "decode ") || (tt.field != "" && !strings.Contains(msg, tt.field)) {
				t.Errorf("Decode(%X) error text %q", tt.frame, msg)
			}
		})
	}
}

// TestDecodePartialTLVs checks what survives a broken TLV stream.
func TestDecodePartialTLVs(t *testing.T) {
	f := frame(DeliverSMID, 0, 3, msgBody("", "1", "2", 0x04, []byte("id:1")), tlv(TagMessageState, 2),
		tlv(TagReceiptedMessageID, '1', 0), []byte{0x04, 0x23, 0x00})
	p, err := Decode(f)
	if !errors.Is(err, ErrTLVStream) {
		t.Fatalf("Decode(%X) error %v, want ErrTLVStream", f, err)
	}
	d, ok := p.(*DeliverSM)
	if !ok {
		t.Fatalf("Decode(%X) = %T, want *DeliverSM", f, p)
	}
	if st, ok := d.TLVs.Uint8(TagMessageState); !ok || st != 2 {
		t.Errorf("message_state = %d, %v, want 2, true", st, ok)
	}
	if id, ok := d.TLVs.CString(TagReceiptedMessageID); !ok || id != "1" {
		t.Errorf("receipted_message_id = %q, %v, want \"1\", true", id, ok)
	}
	if string(d.ShortMessage) != "id:1" || d.DestinationAddr != "2" {
		t.Errorf("mandatory fields = %q, %q", d.ShortMessage, d.DestinationAddr)
	}
}

// TestDecodeTolerantTLVLength: a known TLV with a bad length is kept raw in
// responses, receipts and alert_notification, and rejected in requests.
func TestDecodeTolerantTLVLength(t *testing.T) {
	bad := tlv(TagMessageState, 0, 2) // Int1 sent as 2 octets
	tests := []struct {
		name  string
		frame []byte
		ok    bool
	}{
		{"submit_sm_resp", frame(SubmitSMRespID, 0, 1, cs("id"), bad), true},
		{"data_sm_resp", frame(DataSMRespID, 0, 1, cs("id"), bad), true},
		{"deliver_sm_resp", frame(DeliverSMRespID, 0, 1, cs(""), bad), true},
		{"bind_transceiver_resp", frame(BindTransceiverRespID, 0, 1, cs("SMSC"), tlv(TagSCInterfaceVersion, 0, 0x34)), true},
		{"deliver_sm receipt", frame(DeliverSMID, 0, 1, msgBody("", "1", "2", 0x04, nil), bad), true},
		{"deliver_sm intermediate", frame(DeliverSMID, 0, 1, msgBody("", "1", "2", 0x20, nil), bad), true},
		{"alert_notification", frame(AlertNotificationID, 0, 1, []byte{1, 1}, cs("1"), []byte{1, 1}, cs("2"), tlv(TagMSAvailabilityStatus, 0, 0)), true},
		{"deliver_sm mo", frame(DeliverSMID, 0, 1, msgBody("", "1", "2", 0, nil), bad), false},
		{"submit_sm", frame(SubmitSMID, 0, 1, msgBody("", "1", "2", 0x04, nil), bad), false},
		{"data_sm", frame(DataSMID, 0, 1, cs(""), []byte{1, 1}, cs("1"), []byte{1, 1}, cs("2"), []byte{0, 0, 0}, bad), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.frame)
			if !tt.ok {
				if !errors.Is(err, ErrTLVLength) || p != nil {
					t.Fatalf("Decode(%X) = %v, %v, want ErrTLVLength", tt.frame, p, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%X) error %v", tt.frame, err)
			}
			ts := pduTLVs(p)
			if len(ts) != 1 || len(ts[0].Value) != 2 {
				t.Fatalf("Decode(%X) tlvs = %v, want the raw TLV kept", tt.frame, ts)
			}
			if _, ok := ts.Uint8(ts[0].Tag); ok {
				t.Errorf("Uint8(%v) ok on a 2-octet value", ts[0].Tag)
			}
			enc, err := Marshal(p)
			if err != nil || !bytes.Equal(enc, tt.frame) {
				t.Errorf("Marshal(Decode(%X)) = %X, %v", tt.frame, enc, err)
			}
		})
	}
}

// TestDecodeBodylessResponses: error responses without a body decode, and so
// do OK responses some peers send without one.
func TestDecodeBodylessResponses(t *testing.T) {
	for _, id := range []CommandID{BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID,
		SubmitSMRespID, DeliverSMRespID, DataSMRespID, QuerySMRespID, SubmitMultiRespID} {
		for _, st := range []Status{StatusInvPassword, StatusThrottled, StatusOK} {
			f := frame(id, st, 9)
			p, err := Decode(f)
			if err != nil {
				t.Errorf("Decode(%X) error %v", f, err)
				continue
			}
			want := New(id)
			*want.Hdr() = Header{Length: 16, ID: id, Status: st, Seq: 9}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("Decode(%X) = %#v, want %#v", f, p, want)
			}
			if st == StatusOK {
				continue
			}
			enc, err := Marshal(p)
			if err != nil || !bytes.Equal(enc, f) {
				t.Errorf("Marshal(%#v) = %X, %v, want %X", p, enc, err, f)
			}
		}
	}
}

// TestDecodeAliasing documents what the result of Decode shares.
func TestDecodeAliasing(t *testing.T) {
	f := frame(DeliverSMID, 0, 1, msgBody("", "111", "222", 0, []byte("hello")), tlv(TagUSSDServiceOp, 1), tlv(TagSarMsgRefNum, 0, 5))
	orig := bytes.Clone(f)
	p, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	d := p.(*DeliverSM)
	for i := range f {
		f[i] = 0xFF // the caller may reuse its frame
	}
	if d.SourceAddr != "111" || d.DestinationAddr != "222" || string(d.ShortMessage) != "hello" {
		t.Fatalf("Decode result changed with the input frame: %+v", d.MessageFields)
	}
	d.ShortMessage = append(d.ShortMessage, "!!!!"...) // must not overwrite the TLVs
	d.TLVs[0].Value = append(d.TLVs[0].Value, 9)       // nor the next TLV
	if v, ok := d.TLVs.Uint16(TagSarMsgRefNum); !ok || v != 5 {
		t.Errorf("sar_msg_ref_num = %d, %v after appending to other fields, want 5", v, ok)
	}
	d.TLVs.SetUint8(TagUSSDServiceOp, 1)
	enc, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	f2 := frame(DeliverSMID, 0, 1, msgBody("", "111", "222", 0, []byte("hello!!!!")), tlv(TagUSSDServiceOp, 1), tlv(TagSarMsgRefNum, 0, 5))
	if !bytes.Equal(enc, f2) {
		t.Errorf("Marshal(modified) = %X, want %X (original %X)", enc, f2, orig)
	}
}

func TestEncodeErrors(t *testing.T) {
	sm := func(mod func(*SubmitSM)) PDU {
		p := &SubmitSM{Header: Header{ID: SubmitSMID, Seq: 1}}
		mod(p)
		return p
	}
	tests := []struct {
		name  string
		p     PDU
		err   error
		field string
	}{
		{"nil", nil, ErrInvalidValue, "pdu"},
		{"system_id 16", &Bind{Header: Header{ID: BindTransceiverID}, SystemID: strings.Repeat("s", 16)}, ErrStringTooLong, "system_id"},
		{"password 9", &Bind{Header: Header{ID: BindTransceiverID}, Password: strings.Repeat("p", 9)}, ErrStringTooLong, "password"},
		{"address_range 41", &Bind{Header: Header{ID: BindReceiverID}, AddressRange: strings.Repeat("1", 41)}, ErrStringTooLong, "address_range"},
		{"bind without id", &Bind{}, ErrWrongCommand, ""},
		{"bind with resp id", &Bind{Header: Header{ID: BindTransceiverRespID}}, ErrWrongCommand, ""},
		{"bind_resp with bind id", &BindResp{Header: Header{ID: BindTransceiverID}}, ErrWrongCommand, ""},
		{"submit_sm with deliver id", &SubmitSM{Header: Header{ID: DeliverSMID}}, ErrWrongCommand, ""},
		{"source_addr 21", sm(func(p *SubmitSM) { p.SourceAddr = strings.Repeat("1", 21) }), ErrStringTooLong, "source_addr"},
		{"destination_addr 21", sm(func(p *SubmitSM) { p.DestinationAddr = strings.Repeat("1", 21) }), ErrStringTooLong, "destination_addr"},
		{"service_type 6", sm(func(p *SubmitSM) { p.ServiceType = "USSD12" }), ErrStringTooLong, "service_type"},
		{"NUL in string", sm(func(p *SubmitSM) { p.SourceAddr = "12\x003" }), ErrInvalidValue, "source_addr"},
		{"schedule 15", sm(func(p *SubmitSM) { p.ScheduleDeliveryTime = "24011512300000+" }), ErrBadLength, "schedule_delivery_time"},
		{"validity 17", sm(func(p *SubmitSM) { p.ValidityPeriod = "0000010000000000R" }), ErrBadLength, "validity_period"},
		{"short_message 255", sm(func(p *SubmitSM) { p.ShortMessage = make([]byte, 255) }), ErrShortMessageTooLong, "short_message"},
		{"request tlv bad length", sm(func(p *SubmitSM) { p.TLVs = TLVs{{Tag: TagSarTotalSegments, Value: []byte{0, 2}}} }), ErrTLVLength, "tlv sar_total_segments"},
		{"tlv too long", &SubmitSMResp{Header: Header{ID: SubmitSMRespID}, TLVs: TLVs{{Tag: 0x1400, Value: make([]byte, 0x10000)}}}, ErrTLVLength, "tlv 0x1400"},
		{"message_id 65", &SubmitSMResp{MessageID: strings.Repeat("1", 65)}, ErrStringTooLong, "message_id"},
		{"data_sm source 65", &DataSM{SourceAddr: strings.Repeat("1", 65)}, ErrStringTooLong, "source_addr"},
		{"final_date 1", &QuerySMResp{FinalDate: "1"}, ErrBadLength, "final_date"},
		{"submit_multi 255 dests", &SubmitMulti{Dests: make([]DestAddress, 255)}, ErrInvalidValue, "number_of_dests"},
		{"submit_multi bad flag", &SubmitMulti{Dests: []DestAddress{{Flag: 3}}}, ErrInvalidValue, "dest_flag"},
		{"submit_multi sme with dl_name", &SubmitMulti{Dests: []DestAddress{{Flag: DestFlagSME, DLName: "x"}}}, ErrInvalidValue, "dl_name"},
		{"submit_multi dl with addr", &SubmitMulti{Dests: []DestAddress{{Flag: DestFlagDistribution, Addr: "1"}}}, ErrInvalidValue, "destination_addr"},
		{"submit_multi dl_name 21", &SubmitMulti{Dests: []DestAddress{{Flag: DestFlagDistribution, DLName: strings.Repeat("d", 21)}}}, ErrStringTooLong, "dl_name"},
		{"submit_multi_resp 256", &SubmitMultiResp{Unsuccess: make([]UnsuccessSME, 256)}, ErrInvalidValue, "no_unsuccess"},
		{"replace_sm 255", &ReplaceSM{ShortMessage: make([]byte, 255)}, ErrShortMessageTooLong, "short_message"},
		{"cancel_sm message_id 65", &CancelSM{MessageID: strings.Repeat("1", 65)}, ErrStringTooLong, "message_id"},
		{"alert esme_addr 65", &AlertNotification{ESMEAddr: strings.Repeat("1", 65)}, ErrStringTooLong, "esme_addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := Append(dst, tt.p)
			var ee *EncodeError
			if !errors.As(err, &ee) || !errors.Is(err, tt.err) || ee.Field != tt.field {
				t.Fatalf("Append(%#v) error %v, want %v on field %q", tt.p, err, tt.err, tt.field)
			}
			if string(out) != "keep" {
				t.Errorf("Append(%#v) changed dst to %q", tt.p, out)
			}
			if !strings.HasPrefix(err.Error(), "encode ") {
				t.Errorf("error text %q", err.Error())
			}
		})
	}
}

// TestEncodeLimits: values exactly at the limits encode.
func TestEncodeLimits(t *testing.T) {
	tests := []PDU{
		&Bind{Header: Header{ID: BindTransceiverID}, SystemID: strings.Repeat("s", 15), Password: strings.Repeat("p", 8),
			SystemType: strings.Repeat("t", 12), AddressRange: strings.Repeat("r", 40)},
		&SubmitSM{MessageFields: MessageFields{ServiceType: "USSD1", SourceAddr: strings.Repeat("1", 20),
			DestinationAddr: strings.Repeat("2", 20), ShortMessage: make([]byte, 254)}},
		&SubmitSMResp{MessageID: strings.Repeat("m", 64)},
		&SubmitMulti{Dests: make([]DestAddress, 254)[:0]},
		&DeliverSM{MessageFields: MessageFields{ESMClass: ESMTypeReceipt,
			TLVs: TLVs{{Tag: TagMessageState, Value: []byte{0, 2}}}}}, // receipts may carry odd TLVs
	}
	for _, p := range tests {
		b, err := Marshal(p)
		if err != nil {
			t.Errorf("Marshal(%#v) error %v", p, err)
			continue
		}
		if _, err := Decode(b); err != nil {
			t.Errorf("Decode(Marshal(%#v)) error %v", p, err)
		}
	}
}

// TestEncodeFillsID: types with one command_id get it when Header.ID is zero.
func TestEncodeFillsID(t *testing.T) {
	p := &SubmitSM{}
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != SubmitSMID || CommandID(binary.BigEndian.Uint32(b[4:])) != SubmitSMID {
		t.Errorf("Marshal(&SubmitSM{}) id = %v / %X, want submit_sm", p.ID, b[4:8])
	}
	if p.Length != uint32(len(b)) {
		t.Errorf("Header.Length = %d, want %d", p.Length, len(b))
	}
}

// TestMarshalSizeHint: Marshal allocates once for every fixture.
func TestMarshalSizeHint(t *testing.T) {
	for _, p := range fullPDUs() {
		if b, err := Marshal(p); err != nil || len(b) > sizeHint(p) {
			t.Errorf("Marshal(%v) = %d octets, %v; sizeHint %d", p.Hdr().ID, len(b), err, sizeHint(p))
		}
	}
}
