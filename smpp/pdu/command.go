package pdu

import "fmt"

var commandNames = map[CommandID]string{
	GenericNackID:         "generic_nack",
	BindReceiverID:        "bind_receiver",
	BindReceiverRespID:    "bind_receiver_resp",
	BindTransmitterID:     "bind_transmitter",
	BindTransmitterRespID: "bind_transmitter_resp",
	QuerySMID:             "query_sm",
	QuerySMRespID:         "query_sm_resp",
	SubmitSMID:            "submit_sm",
	SubmitSMRespID:        "submit_sm_resp",
	DeliverSMID:           "deliver_sm",
	DeliverSMRespID:       "deliver_sm_resp",
	UnbindID:              "unbind",
	UnbindRespID:          "unbind_resp",
	ReplaceSMID:           "replace_sm",
	ReplaceSMRespID:       "replace_sm_resp",
	CancelSMID:            "cancel_sm",
	CancelSMRespID:        "cancel_sm_resp",
	BindTransceiverID:     "bind_transceiver",
	BindTransceiverRespID: "bind_transceiver_resp",
	OutbindID:             "outbind",
	EnquireLinkID:         "enquire_link",
	EnquireLinkRespID:     "enquire_link_resp",
	SubmitMultiID:         "submit_multi",
	SubmitMultiRespID:     "submit_multi_resp",
	AlertNotificationID:   "alert_notification",
	DataSMID:              "data_sm",
	DataSMRespID:          "data_sm_resp",
}

// String returns the spec name of id, e.g. "submit_sm", or "0x%08X" for an
// id SMPP 3.4 does not define.
func (id CommandID) String() string {
	if n, ok := commandNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(id))
}

// Known reports whether id is a command SMPP 3.4 defines (and this package
// decodes).
func (id CommandID) Known() bool {
	_, ok := commandNames[id]
	return ok
}

// New returns a zero PDU of the concrete type for id with Header.ID set, or
// nil when id is unknown.
func New(id CommandID) PDU {
	var p PDU
	switch id {
	case GenericNackID:
		p = &GenericNack{}
	case BindReceiverID, BindTransmitterID, BindTransceiverID:
		p = &Bind{}
	case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID:
		p = &BindResp{}
	case QuerySMID:
		p = &QuerySM{}
	case QuerySMRespID:
		p = &QuerySMResp{}
	case SubmitSMID:
		p = &SubmitSM{}
	case SubmitSMRespID:
		p = &SubmitSMResp{}
	case DeliverSMID:
		p = &DeliverSM{}
	case DeliverSMRespID:
		p = &DeliverSMResp{}
	case UnbindID:
		p = &Unbind{}
	case UnbindRespID:
		p = &UnbindResp{}
	case ReplaceSMID:
		p = &ReplaceSM{}
	case ReplaceSMRespID:
		p = &ReplaceSMResp{}
	case CancelSMID:
		p = &CancelSM{}
	case CancelSMRespID:
		p = &CancelSMResp{}
	case OutbindID:
		p = &Outbind{}
	case EnquireLinkID:
		p = &EnquireLink{}
	case EnquireLinkRespID:
		p = &EnquireLinkResp{}
	case SubmitMultiID:
		p = &SubmitMulti{}
	case SubmitMultiRespID:
		p = &SubmitMultiResp{}
	case AlertNotificationID:
		p = &AlertNotification{}
	case DataSMID:
		p = &DataSM{}
	case DataSMRespID:
		p = &DataSMResp{}
	default:
		return nil
	}
	p.Hdr().ID = id
	return p
}

// Response returns the response to req with the same sequence number and the
// given status, or nil when req is nil, is itself a response (generic_nack
// included) or has no response (outbind, alert_notification). The body of
// the response is empty; the caller fills it in (e.g. SubmitSMResp.MessageID)
// only when status is StatusOK, since an error response carries no body.
func Response(req PDU, status Status) PDU {
	if req == nil {
		return nil
	}
	h := req.Hdr()
	switch h.ID {
	case OutbindID, AlertNotificationID:
		return nil
	}
	if h.ID.IsResponse() {
		return nil
	}
	p := New(h.ID.Response())
	if p == nil {
		return nil
	}
	rh := p.Hdr()
	rh.Status = status
	rh.Seq = h.Seq
	return p
}

// NewGenericNack returns a generic_nack with the given status and sequence
// number (0 when the offending request's sequence number could not be read).
func NewGenericNack(status Status, seq uint32) *GenericNack {
	return &GenericNack{Header{ID: GenericNackID, Status: status, Seq: seq}}
}
