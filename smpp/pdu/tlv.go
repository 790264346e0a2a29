package pdu

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Tag is the tag of an optional parameter (TLV, §3.2.4, §5.3.2).
type Tag uint16

// Optional parameter tags of SMPP 3.4 §5.3.2.
const (
	TagDestAddrSubunit          Tag = 0x0005 // dest_addr_subunit
	TagDestNetworkType          Tag = 0x0006 // dest_network_type
	TagDestBearerType           Tag = 0x0007 // dest_bearer_type
	TagDestTelematicsID         Tag = 0x0008 // dest_telematics_id
	TagSourceAddrSubunit        Tag = 0x000D // source_addr_subunit
	TagSourceNetworkType        Tag = 0x000E // source_network_type
	TagSourceBearerType         Tag = 0x000F // source_bearer_type
	TagSourceTelematicsID       Tag = 0x0010 // source_telematics_id
	TagQOSTimeToLive            Tag = 0x0017 // qos_time_to_live
	TagPayloadType              Tag = 0x0019 // payload_type
	TagAdditionalStatusInfoText Tag = 0x001D // additional_status_info_text
	TagReceiptedMessageID       Tag = 0x001E // receipted_message_id
	TagMSMsgWaitFacilities      Tag = 0x0030 // ms_msg_wait_facilities
	TagPrivacyIndicator         Tag = 0x0201 // privacy_indicator
	TagSourceSubaddress         Tag = 0x0202 // source_subaddress
	TagDestSubaddress           Tag = 0x0203 // dest_subaddress
	TagUserMessageReference     Tag = 0x0204 // user_message_reference
	TagUserResponseCode         Tag = 0x0205 // user_response_code
	TagSourcePort               Tag = 0x020A // source_port
	TagDestinationPort          Tag = 0x020B // destination_port
	TagSarMsgRefNum             Tag = 0x020C // sar_msg_ref_num
	TagLanguageIndicator        Tag = 0x020D // language_indicator
	TagSarTotalSegments         Tag = 0x020E // sar_total_segments
	TagSarSegmentSeqnum         Tag = 0x020F // sar_segment_seqnum
	TagSCInterfaceVersion       Tag = 0x0210 // sc_interface_version
	TagCallbackNumPresInd       Tag = 0x0302 // callback_num_pres_ind
	TagCallbackNumAtag          Tag = 0x0303 // callback_num_atag
	TagNumberOfMessages         Tag = 0x0304 // number_of_messages
	TagCallbackNum              Tag = 0x0381 // callback_num
	TagDPFResult                Tag = 0x0420 // dpf_result
	TagSetDPF                   Tag = 0x0421 // set_dpf
	TagMSAvailabilityStatus     Tag = 0x0422 // ms_availability_status
	TagNetworkErrorCode         Tag = 0x0423 // network_error_code
	TagMessagePayload           Tag = 0x0424 // message_payload
	TagDeliveryFailureReason    Tag = 0x0425 // delivery_failure_reason
	TagMoreMessagesToSend       Tag = 0x0426 // more_messages_to_send
	TagMessageState             Tag = 0x0427 // message_state
	TagUSSDServiceOp            Tag = 0x0501 // ussd_service_op
	TagDisplayTime              Tag = 0x1201 // display_time
	TagSMSSignal                Tag = 0x1203 // sms_signal
	TagMSValidity               Tag = 0x1204 // ms_validity
	TagAlertOnMessageDelivery   Tag = 0x130C // alert_on_message_delivery
	TagITSReplyType             Tag = 0x1380 // its_reply_type
	TagITSSessionInfo           Tag = 0x1383 // its_session_info
)

// ValueKind is the type of a TLV value as given in §5.3.2.
type ValueKind uint8

// TLV value kinds.
const (
	KindInt1    ValueKind = iota + 1 // Integer, 1 octet
	KindInt2                         // Integer, 2 octets, big-endian
	KindInt4                         // Integer, 4 octets, big-endian
	KindCString                      // C-Octet String; the length counts the NUL
	KindOctets                       // Octet String
	KindEmpty                        // no value (length 0)
)

// TagInfo describes a known tag: its spec name and the allowed value length
// in octets (MinLen..MaxLen inclusive; for KindCString the NUL is counted).
type TagInfo struct {
	Name   string
	Kind   ValueKind
	MinLen int
	MaxLen int
}

func int1(name string) TagInfo { return TagInfo{name, KindInt1, 1, 1} }
func int2(name string) TagInfo { return TagInfo{name, KindInt2, 2, 2} }
func int4(name string) TagInfo { return TagInfo{name, KindInt4, 4, 4} }

// tagTable is the §5.3.2 table. Note the asymmetry the spec has:
// dest_telematics_id is Integer 2 but source_telematics_id is Integer 1.
var tagTable = map[Tag]TagInfo{
	TagDestAddrSubunit:          int1("dest_addr_subunit"),
	TagDestNetworkType:          int1("dest_network_type"),
	TagDestBearerType:           int1("dest_bearer_type"),
	TagDestTelematicsID:         int2("dest_telematics_id"),
	TagSourceAddrSubunit:        int1("source_addr_subunit"),
	TagSourceNetworkType:        int1("source_network_type"),
	TagSourceBearerType:         int1("source_bearer_type"),
	TagSourceTelematicsID:       int1("source_telematics_id"),
	TagQOSTimeToLive:            int4("qos_time_to_live"),
	TagPayloadType:              int1("payload_type"),
	TagAdditionalStatusInfoText: {"additional_status_info_text", KindCString, 1, 256},
	TagReceiptedMessageID:       {"receipted_message_id", KindCString, 1, 65},
	TagMSMsgWaitFacilities:      int1("ms_msg_wait_facilities"),
	TagPrivacyIndicator:         int1("privacy_indicator"),
	TagSourceSubaddress:         {"source_subaddress", KindOctets, 2, 23},
	TagDestSubaddress:           {"dest_subaddress", KindOctets, 2, 23},
	TagUserMessageReference:     int2("user_message_reference"),
	TagUserResponseCode:         int1("user_response_code"),
	TagSourcePort:               int2("source_port"),
	TagDestinationPort:          int2("destination_port"),
	TagSarMsgRefNum:             int2("sar_msg_ref_num"),
	TagLanguageIndicator:        int1("language_indicator"),
	TagSarTotalSegments:         int1("sar_total_segments"),
	TagSarSegmentSeqnum:         int1("sar_segment_seqnum"),
	TagSCInterfaceVersion:       int1("sc_interface_version"),
	TagCallbackNumPresInd:       int1("callback_num_pres_ind"),
	TagCallbackNumAtag:          {"callback_num_atag", KindOctets, 1, 65},
	TagNumberOfMessages:         int1("number_of_messages"),
	TagCallbackNum:              {"callback_num", KindOctets, 4, 19},
	TagDPFResult:                int1("dpf_result"),
	TagSetDPF:                   int1("set_dpf"),
	TagMSAvailabilityStatus:     int1("ms_availability_status"),
	TagNetworkErrorCode:         {"network_error_code", KindOctets, 3, 3},
	TagMessagePayload:           {"message_payload", KindOctets, 0, 0xFFFF},
	TagDeliveryFailureReason:    int1("delivery_failure_reason"),
	TagMoreMessagesToSend:       int1("more_messages_to_send"),
	TagMessageState:             int1("message_state"),
	TagUSSDServiceOp:            int1("ussd_service_op"),
	TagDisplayTime:              int1("display_time"),
	TagSMSSignal:                int2("sms_signal"),
	TagMSValidity:               int1("ms_validity"),
	TagAlertOnMessageDelivery:   {"alert_on_message_delivery", KindEmpty, 0, 0},
	TagITSReplyType:             int1("its_reply_type"),
	TagITSSessionInfo:           {"its_session_info", KindOctets, 2, 2},
}

// LookupTag returns what §5.3.2 says about tag; ok is false for a tag SMPP
// 3.4 does not define (vendor-specific tags included).
func LookupTag(tag Tag) (info TagInfo, ok bool) {
	info, ok = tagTable[tag]
	return info, ok
}

// String returns the spec name of t, e.g. "message_payload", or "0x%04X" for
// an unknown tag.
func (t Tag) String() string {
	if info, ok := tagTable[t]; ok {
		return info.Name
	}
	return fmt.Sprintf("0x%04X", uint16(t))
}

// ValidLength reports whether n octets is a legal value length for t. Any
// length is valid for an unknown tag.
func (t Tag) ValidLength(n int) bool {
	info, ok := tagTable[t]
	if !ok {
		return n <= 0xFFFF
	}
	return n >= info.MinLen && n <= info.MaxLen
}

// TLV is one optional parameter. Value holds the value octets exactly as on
// the wire (a C-string value includes its NUL).
type TLV struct {
	Tag   Tag
	Value []byte
}

// TLVs is the optional-parameter part of a PDU in wire order. Unknown tags
// and repeated tags are kept as they came and are encoded again unchanged;
// the scalar accessors use the last occurrence of a tag.
type TLVs []TLV

// Get returns the value of the last TLV with the given tag.
func (ts TLVs) Get(tag Tag) ([]byte, bool) {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Tag == tag {
			return ts[i].Value, true
		}
	}
	return nil, false
}

// Has reports whether a TLV with the given tag is present.
func (ts TLVs) Has(tag Tag) bool {
	_, ok := ts.Get(tag)
	return ok
}

// Uint8 returns the value of the last TLV with tag as a 1-octet integer; ok
// is false when it is absent or not exactly 1 octet long.
func (ts TLVs) Uint8(tag Tag) (uint8, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// Uint16 returns the value of the last TLV with tag as a 2-octet integer; ok
// is false when it is absent or not exactly 2 octets long.
func (ts TLVs) Uint16(tag Tag) (uint16, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// Uint32 returns the value of the last TLV with tag as a 4-octet integer; ok
// is false when it is absent or not exactly 4 octets long.
func (ts TLVs) Uint32(tag Tag) (uint32, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// CString returns the value of the last TLV with tag as a C-Octet String
// without its NUL. A value that lacks the NUL (a common peer bug) is returned
// whole; a value with an embedded NUL is cut at the first one.
func (ts TLVs) CString(tag Tag) (string, bool) {
	v, ok := ts.Get(tag)
	if !ok {
		return "", false
	}
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v), true
}

// Set replaces the value of the last TLV with tag, or appends a new TLV when
// there is none. value is stored without copying.
func (ts *TLVs) Set(tag Tag, value []byte) {
	for i := len(*ts) - 1; i >= 0; i-- {
		if (*ts)[i].Tag == tag {
			(*ts)[i].Value = value
			return
		}
	}
	*ts = append(*ts, TLV{Tag: tag, Value: value})
}

// SetUint8 sets tag to a 1-octet integer.
func (ts *TLVs) SetUint8(tag Tag, v uint8) { ts.Set(tag, []byte{v}) }

// SetUint16 sets tag to a 2-octet big-endian integer.
func (ts *TLVs) SetUint16(tag Tag, v uint16) {
	ts.Set(tag, binary.BigEndian.AppendUint16(make([]byte, 0, 2), v))
}

// SetUint32 sets tag to a 4-octet big-endian integer.
func (ts *TLVs) SetUint32(tag Tag, v uint32) {
	ts.Set(tag, binary.BigEndian.AppendUint32(make([]byte, 0, 4), v))
}

// SetCString sets tag to s followed by a NUL. The length is checked when the
// PDU is encoded.
func (ts *TLVs) SetCString(tag Tag, s string) {
	b := make([]byte, len(s)+1)
	copy(b, s)
	ts.Set(tag, b)
}

// Del removes every TLV with tag, keeping the order of the others.
func (ts *TLVs) Del(tag Tag) {
	out := (*ts)[:0]
	for _, t := range *ts {
		if t.Tag != tag {
			out = append(out, t)
		}
	}
	clear((*ts)[len(out):])
	*ts = out
}

// Values of ussd_service_op (§5.3.2.44): what the network sends to the
// ESME and the ESME's answers.
const (
	USSDOpPSSDIndication uint8 = 0  // PSSD indication
	USSDOpPSSRIndication uint8 = 1  // PSSR indication: the user dialled a code, session start
	USSDOpUSSRRequest    uint8 = 2  // USSR request (from the ESME: menu, reply expected)
	USSDOpUSSNRequest    uint8 = 3  // USSN request (from the ESME: notice)
	USSDOpPSSDResponse   uint8 = 16 // PSSD response
	USSDOpPSSRResponse   uint8 = 17 // PSSR response (from the ESME: final answer)
	USSDOpUSSRConfirm    uint8 = 18 // USSR confirm: the user's reply to a USSR
	USSDOpUSSNConfirm    uint8 = 19 // USSN confirm
	// USSDOpRelease is the vendor operation (0x81, USSREL/abort) some
	// gateways send to end a session; 32–255 are vendor values.
	USSDOpRelease uint8 = 0x81
)

// ITSSessionInfo is the value of its_session_info (§5.3.2.43), used by USSD
// gateways for session control.
type ITSSessionInfo struct {
	Session  uint8 // session number (octet 1)
	Sequence uint8 // dialogue sequence number, 0–127 (bits 7–1 of octet 2)
	End      bool  // end of session indicator (bit 0 of octet 2)
}

// Bytes returns the 2-octet wire value. Sequence is taken modulo 128.
func (s ITSSessionInfo) Bytes() []byte {
	b := s.Sequence << 1
	if s.End {
		b |= 1
	}
	return []byte{s.Session, b}
}

// ITSSessionInfo returns the decoded its_session_info; ok is false when it
// is absent or not 2 octets long.
func (ts TLVs) ITSSessionInfo() (ITSSessionInfo, bool) {
	v, ok := ts.Get(TagITSSessionInfo)
	if !ok || len(v) != 2 {
		return ITSSessionInfo{}, false
	}
	return ITSSessionInfo{Session: v[0], Sequence: v[1] >> 1, End: v[1]&1 != 0}, true
}

// SetITSSessionInfo sets its_session_info.
func (ts *TLVs) SetITSSessionInfo(s ITSSessionInfo) { ts.Set(TagITSSessionInfo, s.Bytes()) }

// Network types of network_error_code (§5.3.2.31).
const (
	NetworkANSI136 uint8 = 1
	NetworkIS95    uint8 = 2
	NetworkGSM     uint8 = 3
)

// NetworkErrorCode is the value of network_error_code (§5.3.2.31).
type NetworkErrorCode struct {
	Type uint8  // network type: NetworkANSI136, NetworkIS95, NetworkGSM
	Code uint16 // network specific error code
}

// Bytes returns the 3-octet wire value.
func (n NetworkErrorCode) Bytes() []byte {
	return []byte{n.Type, byte(n.Code >> 8), byte(n.Code)}
}

// NetworkErrorCode returns the decoded network_error_code; ok is false when
// it is absent or not 3 octets long.
func (ts TLVs) NetworkErrorCode() (NetworkErrorCode, bool) {
	v, ok := ts.Get(TagNetworkErrorCode)
	if !ok || len(v) != 3 {
		return NetworkErrorCode{}, false
	}
	return NetworkErrorCode{Type: v[0], Code: binary.BigEndian.Uint16(v[1:])}, true
}

// SetNetworkErrorCode sets network_error_code.
func (ts *TLVs) SetNetworkErrorCode(n NetworkErrorCode) { ts.Set(TagNetworkErrorCode, n.Bytes()) }
