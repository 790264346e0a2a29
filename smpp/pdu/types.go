package pdu

// CommandID is the command_id of an SMPP 3.4 PDU (§5.1.2.1).
type CommandID uint32

// Command ids. A response id is the request id with bit 31 set.
const (
	GenericNackID         CommandID = 0x80000000
	BindReceiverID        CommandID = 0x00000001
	BindReceiverRespID    CommandID = 0x80000001
	BindTransmitterID     CommandID = 0x00000002
	BindTransmitterRespID CommandID = 0x80000002
	QuerySMID             CommandID = 0x00000003
	QuerySMRespID         CommandID = 0x80000003
	SubmitSMID            CommandID = 0x00000004
	SubmitSMRespID        CommandID = 0x80000004
	DeliverSMID           CommandID = 0x00000005
	DeliverSMRespID       CommandID = 0x80000005
	UnbindID              CommandID = 0x00000006
	UnbindRespID          CommandID = 0x80000006
	ReplaceSMID           CommandID = 0x00000007
	ReplaceSMRespID       CommandID = 0x80000007
	CancelSMID            CommandID = 0x00000008
	CancelSMRespID        CommandID = 0x80000008
	BindTransceiverID     CommandID = 0x00000009
	BindTransceiverRespID CommandID = 0x80000009
	OutbindID             CommandID = 0x0000000B
	EnquireLinkID         CommandID = 0x00000015
	EnquireLinkRespID     CommandID = 0x80000015
	SubmitMultiID         CommandID = 0x00000021
	SubmitMultiRespID     CommandID = 0x80000021
	AlertNotificationID   CommandID = 0x00000102
	DataSMID              CommandID = 0x00000103
	DataSMRespID          CommandID = 0x80000103
)

// IsResponse reports whether id is a response (bit 31 set), generic_nack included.
func (id CommandID) IsResponse() bool { return id&0x80000000 != 0 }

// Response returns the response id of a request id.
func (id CommandID) Response() CommandID { return id | 0x80000000 }

// HeaderLen is the length of the PDU header in octets.
const HeaderLen = 16

// Header is the 16-octet PDU header (§3.2). Length is filled in by the
// encoder and reported by the decoder; callers never need to set it.
type Header struct {
	Length uint32
	ID     CommandID
	Status Status
	Seq    uint32
}

// Hdr returns the header; it lets every PDU type satisfy PDU through embedding.
func (h *Header) Hdr() *Header { return h }

// PDU is one decoded SMPP PDU. The set of implementations is closed: the
// concrete types of this package.
type PDU interface {
	Hdr() *Header
	appendBody(e *encoder)
	decodeBody(d *decoder)
}

// ESMClass is the esm_class field (§5.2.12). Test bits with the masks.
type ESMClass uint8

// esm_class masks and values.
const (
	ESMModeMask      ESMClass = 0x03
	ESMTypeMask      ESMClass = 0x3C
	ESMTypeReceipt   ESMClass = 0x04 // SMSC delivery receipt
	ESMTypeSMEAck    ESMClass = 0x08 // SME delivery acknowledgement
	ESMTypeUserAck   ESMClass = 0x10 // SME manual/user acknowledgement
	ESMTypeAbort     ESMClass = 0x18 // conversation abort
	ESMTypeInterNote ESMClass = 0x20 // intermediate delivery notification
	ESMUDHI          ESMClass = 0x40 // short_message starts with a UDH
	ESMReplyPath     ESMClass = 0x80
)

// IsReceipt reports whether the message type bits mark a delivery receipt or
// acknowledgement (0x04, 0x08, 0x20).
func (e ESMClass) IsReceipt() bool {
	t := e & ESMTypeMask
	return t == ESMTypeReceipt || t == ESMTypeSMEAck || t == ESMTypeInterNote
}

// UDHI reports whether the UDH indicator is set.
func (e ESMClass) UDHI() bool { return e&ESMUDHI != 0 }

// Bind is bind_transmitter, bind_receiver or bind_transceiver (§4.1.1, 4.1.3,
// 4.1.5); Header.ID says which.
type Bind struct {
	Header
	SystemID         string // C(16)
	Password         string // C(9)
	SystemType       string // C(13)
	InterfaceVersion uint8
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string // C(41)
}

// BindResp is bind_*_resp; Header.ID says which. When Status is not OK the
// body is usually absent; both forms decode.
type BindResp struct {
	Header
	SystemID string // C(16)
	TLVs     TLVs
}

// Outbind is outbind (§4.1.7), SMSC to ESME, no response.
type Outbind struct {
	Header
	SystemID string // C(16)
	Password string // C(9)
}

// Unbind is unbind (§4.2.1), header only.
type Unbind struct{ Header }

// UnbindResp is unbind_resp (§4.2.2), header only.
type UnbindResp struct{ Header }

// EnquireLink is enquire_link (§4.11.1), header only.
type EnquireLink struct{ Header }

// EnquireLinkResp is enquire_link_resp (§4.11.2), header only.
type EnquireLinkResp struct{ Header }

// GenericNack is generic_nack (§4.3.1): the error is Header.Status, Header.Seq
// is the offending request's sequence number (0 if unreadable).
type GenericNack struct{ Header }

// MessageFields is the mandatory body shared by submit_sm (§4.4.1) and
// deliver_sm (§4.6.1), followed by optional TLVs.
type MessageFields struct {
	ServiceType          string // C(6)
	SourceAddrTON        uint8
	SourceAddrNPI        uint8
	SourceAddr           string // C(21)
	DestAddrTON          uint8
	DestAddrNPI          uint8
	DestinationAddr      string // C(21)
	ESMClass             ESMClass
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string // C(1 or 17)
	ValidityPeriod       string // C(1 or 17)
	RegisteredDelivery   uint8
	ReplaceIfPresentFlag uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte // 0-254 octets; sm_length is derived
	TLVs                 TLVs
}

// SubmitSM is submit_sm (§4.4.1).
type SubmitSM struct {
	Header
	MessageFields
}

// DeliverSM is deliver_sm (§4.6.1).
type DeliverSM struct {
	Header
	MessageFields
}

// SubmitSMResp is submit_sm_resp (§4.4.2). The body is omitted on encode when
// Status is not OK and MessageID and TLVs are empty.
type SubmitSMResp struct {
	Header
	MessageID string // C(65)
	TLVs      TLVs
}

// DeliverSMResp is deliver_sm_resp (§4.6.2); MessageID is always empty on the wire.
type DeliverSMResp struct {
	Header
	MessageID string // C(1)
	TLVs      TLVs
}

// DataSM is data_sm (§4.7.1); user data travels in TLV message_payload.
type DataSM struct {
	Header
	ServiceType        string // C(6)
	SourceAddrTON      uint8
	SourceAddrNPI      uint8
	SourceAddr         string // C(65)
	DestAddrTON        uint8
	DestAddrNPI        uint8
	DestinationAddr    string // C(65)
	ESMClass           ESMClass
	RegisteredDelivery uint8
	DataCoding         uint8
	TLVs               TLVs
}

// DataSMResp is data_sm_resp (§4.7.2).
type DataSMResp struct {
	Header
	MessageID string // C(65)
	TLVs      TLVs
}

// QuerySM is query_sm (§4.8.1).
type QuerySM struct {
	Header
	MessageID     string // C(65)
	SourceAddrTON uint8
	SourceAddrNPI uint8
	SourceAddr    string // C(21)
}

// QuerySMResp is query_sm_resp (§4.8.2).
type QuerySMResp struct {
	Header
	MessageID    string // C(65)
	FinalDate    string // C(1 or 17)
	MessageState uint8
	ErrorCode    uint8
}

// CancelSM is cancel_sm (§4.9.1).
type CancelSM struct {
	Header
	ServiceType     string // C(6)
	MessageID       string // C(65)
	SourceAddrTON   uint8
	SourceAddrNPI   uint8
	SourceAddr      string // C(21)
	DestAddrTON     uint8
	DestAddrNPI     uint8
	DestinationAddr string // C(21)
}

// CancelSMResp is cancel_sm_resp (§4.9.2), header only.
type CancelSMResp struct{ Header }

// ReplaceSM is replace_sm (§4.10.1).
type ReplaceSM struct {
	Header
	MessageID            string // C(65)
	SourceAddrTON        uint8
	SourceAddrNPI        uint8
	SourceAddr           string // C(21)
	ScheduleDeliveryTime string // C(1 or 17)
	ValidityPeriod       string // C(1 or 17)
	RegisteredDelivery   uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte // 0-254 octets
}

// ReplaceSMResp is replace_sm_resp (§4.10.2), header only.
type ReplaceSMResp struct{ Header }

// Destination flags of submit_multi dest_address entries (§4.5.1.1).
const (
	DestFlagSME          uint8 = 1
	DestFlagDistribution uint8 = 2
)

// DestAddress is one dest_address of submit_multi: an SME address when Flag
// is DestFlagSME, a distribution list name when Flag is DestFlagDistribution.
type DestAddress struct {
	Flag   uint8
	TON    uint8
	NPI    uint8
	Addr   string // C(21), SME form
	DLName string // C(21), distribution list form
}

// SubmitMulti is submit_multi (§4.5.1).
type SubmitMulti struct {
	Header
	ServiceType          string // C(6)
	SourceAddrTON        uint8
	SourceAddrNPI        uint8
	SourceAddr           string        // C(21)
	Dests                []DestAddress // number_of_dests is derived (max 254)
	ESMClass             ESMClass
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string // C(1 or 17)
	ValidityPeriod       string // C(1 or 17)
	RegisteredDelivery   uint8
	ReplaceIfPresentFlag uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
}

// UnsuccessSME is one unsuccess_sme entry of submit_multi_resp (§4.5.2).
type UnsuccessSME struct {
	TON    uint8
	NPI    uint8
	Addr   string // C(21)
	Status Status
}

// SubmitMultiResp is submit_multi_resp (§4.5.2).
type SubmitMultiResp struct {
	Header
	MessageID string // C(65)
	Unsuccess []UnsuccessSME
}

// AlertNotification is alert_notification (§4.12.1), SMSC to ESME, no response.
type AlertNotification struct {
	Header
	SourceAddrTON uint8
	SourceAddrNPI uint8
	SourceAddr    string // C(65)
	ESMEAddrTON   uint8
	ESMEAddrNPI   uint8
	ESMEAddr      string // C(65)
	TLVs          TLVs
}
