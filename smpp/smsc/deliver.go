package smsc

import (
	"context"
	"fmt"
	"slices"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// TextOptions configure DeliverText. The zero value sends from and to
// addresses with TON and NPI 0 and concatenates with an 8-bit UDH.
type TextOptions struct {
	// SystemID restricts delivery to connections bound with it; "" takes
	// any receiver (round-robin). All parts go to the same connection.
	SystemID string

	// Concat is how parts are tied together: text.ConcatUDH8 (default),
	// text.ConcatUDH16, text.ConcatSAR (sar_* TLVs, no UDH) or
	// text.ConcatPayload (the whole text in message_payload, one PDU).
	Concat text.Concat

	// Ref is the concatenation reference; 0 takes the next value of a
	// server-wide counter.
	Ref uint16

	SourceTON, SourceNPI uint8
	DestTON, DestNPI     uint8
	ServiceType          string

	// TLVs are added to every part, after those the server sets.
	TLVs pdu.TLVs
}

// DeliverText sends text from from to to as one or more deliver_sm (MO)
// and returns the ESME's status for each part, in order. The encoding is
// chosen as text.Encode does with Server.Text (GSM 03.38 unpacked if it
// fits, else UCS2); a long text is split per opts.Concat (notes §7). Every
// part is delivered even if an earlier one was refused; on a transport
// error it returns the statuses so far with the error. opts may be nil.
func (s *Server) DeliverText(ctx context.Context, from, to, msg string, opts *TextOptions) ([]pdu.Status, error) {
	var o TextOptions
	if opts != nil {
		o = *opts
	}
	ds, err := s.TextPDUs(from, to, msg, &o)
	if err != nil {
		return nil, err
	}
	c, err := s.pick(o.SystemID, true)
	if err != nil {
		return nil, err
	}
	statuses := make([]pdu.Status, 0, len(ds))
	for i, d := range ds {
		st, err := c.Deliver(ctx, d)
		if err != nil {
			return statuses, fmt.Errorf("smsc: deliver part %d of %d: %w", i+1, len(ds), err)
		}
		statuses = append(statuses, st)
	}
	return statuses, nil
}

// TextPDUs builds the deliver_sm parts DeliverText would send, without
// sending them (for Conn.Deliver, or to tamper with them first). opts may
// be nil; opts.SystemID is ignored.
func (s *Server) TextPDUs(from, to, msg string, opts *TextOptions) ([]*pdu.DeliverSM, error) {
	var o TextOptions
	if opts != nil {
		o = *opts
	}
	ref := o.Ref
	if ref == 0 {
		ref = uint16(s.refSeq.Add(1))
		if o.Concat == text.ConcatUDH8 {
			ref &= 0xFF
		}
	}
	m, err := text.Split(msg, text.SplitOptions{Options: s.textOptions(), Concat: o.Concat, Ref: ref})
	if err != nil {
		return nil, fmt.Errorf("smsc: split text: %w", err)
	}
	ds := make([]*pdu.DeliverSM, 0, len(m.Parts))
	for _, p := range m.Parts {
		d := &pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID}}
		d.ServiceType = o.ServiceType
		d.SourceAddrTON, d.SourceAddrNPI, d.SourceAddr = o.SourceTON, o.SourceNPI, from
		d.DestAddrTON, d.DestAddrNPI, d.DestinationAddr = o.DestTON, o.DestNPI, to
		d.DataCoding = m.DataCoding
		switch {
		case o.Concat == text.ConcatPayload:
			d.TLVs.Set(pdu.TagMessagePayload, p.ShortMessage())
		default:
			d.ShortMessage = p.ShortMessage()
		}
		if p.UDHI() {
			d.ESMClass |= pdu.ESMUDHI
		}
		if o.Concat == text.ConcatSAR && p.Total > 1 {
			d.TLVs.SetUint16(pdu.TagSarMsgRefNum, p.Ref)
			d.TLVs.SetUint8(pdu.TagSarTotalSegments, p.Total)
			d.TLVs.SetUint8(pdu.TagSarSegmentSeqnum, p.Seq)
		}
		d.TLVs = append(d.TLVs, slices.Clone(o.TLVs)...)
		ds = append(ds, d)
	}
	return ds, nil
}

// textOptions returns the configured text settings (zero before Start).
func (s *Server) textOptions() text.Options { return s.cfg.text }

// ussd_service_op values (notes §9) an SMSC sends to the ESME, and the
// ESME's answers: those of package pdu.
const (
	USSDOpPSSDIndication = pdu.USSDOpPSSDIndication
	USSDOpPSSRIndication = pdu.USSDOpPSSRIndication
	USSDOpUSSRRequest    = pdu.USSDOpUSSRRequest
	USSDOpUSSNRequest    = pdu.USSDOpUSSNRequest
	USSDOpPSSDResponse   = pdu.USSDOpPSSDResponse
	USSDOpPSSRResponse   = pdu.USSDOpPSSRResponse
	USSDOpUSSRConfirm    = pdu.USSDOpUSSRConfirm
	USSDOpUSSNConfirm    = pdu.USSDOpUSSNConfirm
)

// USSD is one USSD message from a handset for DeliverUSSD.
type USSD struct {
	From string // the subscriber's MSISDN
	To   string // the service code, e.g. "123"
	Text string // e.g. "*123#" or a menu choice "1"

	// Op is the ussd_service_op, e.g. USSDOpPSSRIndication to open a
	// session, USSDOpUSSRConfirm for a reply.
	Op uint8

	// Session, when not nil, is sent as its_session_info.
	Session *pdu.ITSSessionInfo

	// ServiceType defaults to "USSD".
	ServiceType string

	// SystemID restricts delivery as in TextOptions.
	SystemID string

	SourceTON, SourceNPI uint8
	DestTON, DestNPI     uint8
}

// DeliverUSSD sends a USSD message as one deliver_sm with the
// ussd_service_op TLV (and its_session_info if set), the text encoded as
// DeliverText does (message_payload if over 254 octets), and returns the
// ESME's status.
func (s *Server) DeliverUSSD(ctx context.Context, u USSD) (pdu.Status, error) {
	d, err := s.USSDPDU(u)
	if err != nil {
		return 0, err
	}
	return s.DeliverTo(ctx, u.SystemID, d)
}

// USSDPDU builds the deliver_sm DeliverUSSD would send.
func (s *Server) USSDPDU(u USSD) (*pdu.DeliverSM, error) {
	dcs, data, err := text.Encode(u.Text, s.textOptions())
	if err != nil {
		return nil, fmt.Errorf("smsc: encode ussd text: %w", err)
	}
	d := &pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID}}
	d.ServiceType = u.ServiceType
	if d.ServiceType == "" {
		d.ServiceType = "USSD"
	}
	d.SourceAddrTON, d.SourceAddrNPI, d.SourceAddr = u.SourceTON, u.SourceNPI, u.From
	d.DestAddrTON, d.DestAddrNPI, d.DestinationAddr = u.DestTON, u.DestNPI, u.To
	d.DataCoding = dcs
	if len(data) <= 254 {
		d.ShortMessage = data
	} else {
		d.TLVs.Set(pdu.TagMessagePayload, data)
	}
	d.TLVs.SetUint8(pdu.TagUSSDServiceOp, u.Op)
	if u.Session != nil {
		d.TLVs.SetITSSessionInfo(*u.Session)
	}
	return d, nil
}
