package pdu

import (
	"reflect"
	"testing"
)

func TestTagTable(t *testing.T) {
	// The §5.3.2 table: tag, name, kind, min and max value length.
	spec := []struct {
		tag      Tag
		name     string
		kind     ValueKind
		min, max int
	}{
		{0x0005, "dest_addr_subunit", KindInt1, 1, 1},
		{0x0006, "dest_network_type", KindInt1, 1, 1},
		{0x0007, "dest_bearer_type", KindInt1, 1, 1},
		{0x0008, "dest_telematics_id", KindInt2, 2, 2},
		{0x000D, "source_addr_subunit", KindInt1, 1, 1},
		{0x000E, "source_network_type", KindInt1, 1, 1},
		{0x000F, "source_bearer_type", KindInt1, 1, 1},
		{0x0010, "source_telematics_id", KindInt1, 1, 1},
		{0x0017, "qos_time_to_live", KindInt4, 4, 4},
		{0x0019, "payload_type", KindInt1, 1, 1},
		{0x001D, "additional_status_info_text", KindCString, 1, 256},
		{0x001E, "receipted_message_id", KindCString, 1, 65},
		{0x0030, "ms_msg_wait_facilities", KindInt1, 1, 1},
		{0x0201, "privacy_indicator", KindInt1, 1, 1},
		{0x0202, "source_subaddress", KindOctets, 2, 23},
		{0x0203, "dest_subaddress", KindOctets, 2, 23},
		{0x0204, "user_message_reference", KindInt2, 2, 2},
		{0x0205, "user_response_code", KindInt1, 1, 1},
		{0x020A, "source_port", KindInt2, 2, 2},
		{0x020B, "destination_port", KindInt2, 2, 2},
		{0x020C, "sar_msg_ref_num", KindInt2, 2, 2},
		{0x020D, "language_indicator", KindInt1, 1, 1},
		{0x020E, "sar_total_segments", KindInt1, 1, 1},
		{0x020F, "sar_segment_seqnum", KindInt1, 1, 1},
		{0x0210, "sc_interface_version", KindInt1, 1, 1},
		{0x0302, "callback_num_pres_ind", KindInt1, 1, 1},
		{0x0303, "callback_num_atag", KindOctets, 1, 65},
		{0x0304, "number_of_messages", KindInt1, 1, 1},
		{0x0381, "callback_num", KindOctets, 4, 19},
		{0x0420, "dpf_result", KindInt1, 1, 1},
		{0x0421, "set_dpf", KindInt1, 1, 1},
		{0x0422, "ms_availability_status", KindInt1, 1, 1},
		{0x0423, "network_error_code", KindOctets, 3, 3},
		{0x0424, "message_payload", KindOctets, 0, 65535},
		{0x0425, "delivery_failure_reason", KindInt1, 1, 1},
		{0x0426, "more_messages_to_send", KindInt1, 1, 1},
		{0x0427, "message_state", KindInt1, 1, 1},
		{0x0501, "ussd_service_op", KindInt1, 1, 1},
		{0x1201, "display_time", KindInt1, 1, 1},
		{0x1203, "sms_signal", KindInt2, 2, 2},
		{0x1204, "ms_validity", KindInt1, 1, 1},
		{0x130C, "alert_on_message_delivery", KindEmpty, 0, 0},
		{0x1380, "its_reply_type", KindInt1, 1, 1},
		{0x1383, "its_session_info", KindOctets, 2, 2},
	}
	if len(tagTable) != len(spec) {
		t.Errorf("len(tagTable) = %d, want %d", len(tagTable), len(spec))
	}
	for _, e := range spec {
		info, ok := LookupTag(e.tag)
		want := TagInfo{Name: e.name, Kind: e.kind, MinLen: e.min, MaxLen: e.max}
		if !ok || info != want {
			t.Errorf("LookupTag(%#04x) = %+v, %v, want %+v", uint16(e.tag), info, ok, want)
		}
		if got := e.tag.String(); got != e.name {
			t.Errorf("Tag(%#04x).String() = %q, want %q", uint16(e.tag), got, e.name)
		}
		if !e.tag.ValidLength(e.min) || !e.tag.ValidLength(e.max) || e.tag.ValidLength(e.max+1) ||
			(e.min > 0 && e.tag.ValidLength(e.min-1)) {
			t.Errorf("Tag(%v).ValidLength bounds wrong", e.tag)
		}
	}
	if got := Tag(0x0428).String(); got != "0x0428" {
		t.Errorf("Tag(0x0428).String() = %q, want 0x0428", got)
	}
	if _, ok := LookupTag(0x1400); ok || !Tag(0x1400).ValidLength(0) || !Tag(0x1400).ValidLength(65535) {
		t.Errorf("unknown tag handling wrong")
	}
}

func TestTLVsAccessors(t *testing.T) {
	ts := TLVs{
		{Tag: TagUserMessageReference, Value: []byte{0, 1}},
		{Tag: 0x1400, Value: []byte{1, 2, 3}},
		{Tag: TagUserMessageReference, Value: []byte{0, 2}},
		{Tag: TagMessageState, Value: []byte{2}},
		{Tag: TagQOSTimeToLive, Value: []byte{0, 1, 0, 0}},
		{Tag: TagReceiptedMessageID, Value: []byte("abc\x00")},
		{Tag: TagAdditionalStatusInfoText, Value: []byte("no nul")},
		{Tag: TagSarTotalSegments, Value: []byte{1, 2}},
	}
	if v, ok := ts.Uint16(TagUserMessageReference); !ok || v != 2 {
		t.Errorf("Uint16(user_message_reference) = %d, %v, want 2 (last wins)", v, ok)
	}
	if v, ok := ts.Uint8(TagMessageState); !ok || v != 2 {
		t.Errorf("Uint8(message_state) = %d, %v, want 2", v, ok)
	}
	if v, ok := ts.Uint32(TagQOSTimeToLive); !ok || v != 65536 {
		t.Errorf("Uint32(qos_time_to_live) = %d, %v, want 65536", v, ok)
	}
	if v, ok := ts.Uint8(TagSarTotalSegments); ok {
		t.Errorf("Uint8 of a 2-octet value = %d, true, want false", v)
	}
	if _, ok := ts.Uint16(TagMessageState); ok {
		t.Errorf("Uint16 of a 1-octet value ok")
	}
	if _, ok := ts.Uint32(TagUserMessageReference); ok {
		t.Errorf("Uint32 of a 2-octet value ok")
	}
	if _, ok := ts.Uint8(TagUSSDServiceOp); ok {
		t.Errorf("Uint8 of an absent tag ok")
	}
	if s, ok := ts.CString(TagReceiptedMessageID); !ok || s != "abc" {
		t.Errorf("CString(receipted_message_id) = %q, %v, want abc", s, ok)
	}
	if s, ok := ts.CString(TagAdditionalStatusInfoText); !ok || s != "no nul" {
		t.Errorf("CString without NUL = %q, %v, want the whole value", s, ok)
	}
	if _, ok := ts.CString(TagDPFResult); ok {
		t.Errorf("CString of an absent tag ok")
	}
	if v, ok := ts.Get(0x1400); !ok || string(v) != "\x01\x02\x03" || !ts.Has(0x1400) || ts.Has(0x1401) {
		t.Errorf("Get/Has of a vendor tag wrong")
	}

	// Set replaces the last occurrence, keeping order.
	ts.SetUint16(TagUserMessageReference, 3)
	if ts[0].Value[1] != 1 || ts[2].Value[1] != 3 || len(ts) != 8 {
		t.Errorf("SetUint16 replaced the wrong entry: %v", ts)
	}
	ts.SetUint32(TagQOSTimeToLive, 7)
	ts.SetCString(TagReceiptedMessageID, "xyz")
	ts.SetUint8(TagUSSDServiceOp, 0x11)
	if len(ts) != 9 || ts[8].Tag != TagUSSDServiceOp {
		t.Errorf("SetUint8 of a new tag did not append: %v", ts)
	}
	if v, _ := ts.Uint32(TagQOSTimeToLive); v != 7 {
		t.Errorf("Uint32 after SetUint32 = %d", v)
	}
	if v, _ := ts.Get(TagReceiptedMessageID); string(v) != "xyz\x00" {
		t.Errorf("SetCString stored %q", v)
	}

	ts.Del(TagUserMessageReference)
	want := []Tag{0x1400, TagMessageState, TagQOSTimeToLive, TagReceiptedMessageID, TagAdditionalStatusInfoText,
		TagSarTotalSegments, TagUSSDServiceOp}
	var got []Tag
	for _, x := range ts {
		got = append(got, x.Tag)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Del left %v, want %v", got, want)
	}
	var empty TLVs
	empty.Del(TagMessageState)
	if _, ok := empty.Get(TagMessageState); ok || len(empty) != 0 {
		t.Errorf("empty TLVs wrong")
	}
}

func TestITSSessionInfo(t *testing.T) {
	tests := []struct {
		wire []byte
		info ITSSessionInfo
	}{
		{[]byte{0x2A, 0x00}, ITSSessionInfo{Session: 42}},
		{[]byte{0x2A, 0x02}, ITSSessionInfo{Session: 42, Sequence: 1}},
		{[]byte{0x2A, 0x05}, ITSSessionInfo{Session: 42, Sequence: 2, End: true}},
		{[]byte{0xFF, 0xFF}, ITSSessionInfo{Session: 255, Sequence: 127, End: true}},
	}
	for _, tt := range tests {
		ts := TLVs{{Tag: TagITSSessionInfo, Value: tt.wire}}
		if got, ok := ts.ITSSessionInfo(); !ok || got != tt.info {
			t.Errorf("ITSSessionInfo(%X) = %+v, %v, want %+v", tt.wire, got, ok, tt.info)
		}
		var set TLVs
		set.SetITSSessionInfo(tt.info)
		if v, _ := set.Get(TagITSSessionInfo); !reflect.DeepEqual(v, tt.wire) {
			t.Errorf("SetITSSessionInfo(%+v) = %X, want %X", tt.info, v, tt.wire)
		}
	}
	if _, ok := (TLVs{{Tag: TagITSSessionInfo, Value: []byte{1}}}).ITSSessionInfo(); ok {
		t.Errorf("ITSSessionInfo of 1 octet ok")
	}
}

func TestNetworkErrorCode(t *testing.T) {
	var ts TLVs
	ts.SetNetworkErrorCode(NetworkErrorCode{Type: NetworkGSM, Code: 0x0123})
	if v, _ := ts.Get(TagNetworkErrorCode); !reflect.DeepEqual(v, []byte{3, 1, 0x23}) {
		t.Errorf("SetNetworkErrorCode stored %X, want 030123", v)
	}
	if got, ok := ts.NetworkErrorCode(); !ok || got != (NetworkErrorCode{Type: 3, Code: 0x123}) {
		t.Errorf("NetworkErrorCode() = %+v, %v", got, ok)
	}
	if _, ok := (TLVs{{Tag: TagNetworkErrorCode, Value: []byte{3, 1}}}).NetworkErrorCode(); ok {
		t.Errorf("NetworkErrorCode of 2 octets ok")
	}
}
