package esme

import (
	"context"
	"fmt"
	"strconv"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// PartGateway is implemented by a Gateway that stores the parts of
// concatenated MOs durably, as smsgw.Gateway does. Each part is then
// acknowledged only once it is stored, and the whole MO is stored when its
// last part arrives, so a restart between parts loses nothing the SMSC was
// told it may forget. With a Gateway that is no PartGateway, parts wait in
// memory and those acknowledged before a restart are lost.
type PartGateway interface {
	HandleMOPart(ctx context.Context, p smsgw.MOPart, assemble smsgw.AssembleFunc) error
}

var _ PartGateway = (*smsgw.Gateway)(nil)

// link names the SMPP session that delivered a PDU: bind, process and
// session, unique across restarts. The gateway matches a redelivery only to
// an MO acknowledged over another link that ended before the SMSC confirmed
// the acknowledgement (see tracker).
func (e *ESME) link(ctx context.Context, b *bind) string {
	if s, ok := smpp.SessionFromContext(ctx); ok {
		return fmt.Sprintf("%s/%s/%d", b.Name, e.nonce, s.ID())
	}
	return ""
}

// tracker returns the MO's Track function: the session tells whether the
// SMSC read our deliver_sm_resp, and only an MO whose acknowledgement it may
// have missed can be delivered again. nil outside an SMPP session.
func (e *ESME) tracker(ctx context.Context, link string) func(func(bool)) {
	if link == "" {
		return nil
	}
	return func(fate func(confirmed bool)) { smpp.OnAck(ctx, fate) }
}

// partKey groups the parts of one message: sender, recipient, reference
// and number of parts (a reused reference with another total is another
// message).
func partKey(source, dest string, ref uint16, total uint8) string {
	return source + "|" + dest + "|" + strconv.Itoa(int(ref)) + "|" + strconv.Itoa(int(total))
}

// part hands one part of a concatenated MO to the gateway, which stores it
// (or the whole MO, for the last part) before the part is acknowledged. ud
// is the part's user data without UDH, GSM 7-bit unpacked.
func (e *ESME) part(ctx context.Context, pg PartGateway, b *bind, f moFields, ref uint16, total, seq uint8, ud []byte) error {
	if seq == 0 || seq > total || int(total) > e.maxPts {
		e.log.Warn("concatenated MO part rejected", "bind", b.Name, "msisdn", maskAddr(f.source),
			"seq", seq, "total", total, "max_parts", e.maxPts)
		return pdu.StatusXRAppn
	}
	opts := b.Text
	opts.Packed = false // parts hold unpacked septets
	p := smsgw.MOPart{
		Key: partKey(f.source, f.dest, ref, total), Seq: int(seq), Total: int(total),
		DataCoding: f.dcs, Data: ud, From: f.source, FromTON: f.sourceTON, FromNPI: f.sourceNPI,
		To: f.dest, Link: e.link(ctx, b),
	}
	p.Track = e.tracker(ctx, p.Link)
	assemble := func(parts []smsgw.MOPart) string {
		n := 0
		for _, q := range parts {
			n += len(q.Data)
		}
		joined := make([]byte, 0, n)
		for _, q := range parts {
			joined = append(joined, q.Data...)
		}
		msg, err := text.Decode(parts[0].DataCoding, joined, opts)
		if err != nil {
			e.log.Warn("MO text not decodable; storing replacement", "bind", b.Name, "msisdn", maskAddr(f.source),
				"data_coding", parts[0].DataCoding, "err", err)
		}
		return msg
	}
	unlock := e.locks.lock(f.source)
	defer unlock()
	err := pg.HandleMOPart(ctx, p, assemble)
	switch smsgw.ErrorCode(err) {
	case "":
		return nil
	case smsgw.EInvalid:
		e.log.Warn("concatenated MO part rejected", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
		return pdu.StatusXRAppn
	case smsgw.EBusy:
		// Too many messages waiting for parts, or the backlog is full:
		// the SMSC keeps the part and tries again later.
		e.log.Warn("MO part refused for now; the SMSC will retry", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
		return pdu.StatusThrottled
	default:
		// Storage failures: the SMSC keeps the part and tries again later.
		e.log.Error("MO part not stored; asking the SMSC to redeliver", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
		return pdu.StatusXTAppn
	}
}
