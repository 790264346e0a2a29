package smsgw

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// Defaults of Options.PartTimeout and Options.MaxPartMessages.
const (
	DefaultPartTimeout     = 10 * time.Minute
	DefaultMaxPartMessages = 1000
)

// MOPart is one part of a concatenated MO. Every part is stored before the
// transport acknowledges it, so that a part the SMSC will never send again
// survives a restart; the parts are deleted when their message is complete
// (in the transaction that stores the whole MO) or has waited too long.
type MOPart struct {
	ID int64
	// Key identifies the message the part belongs to; the transport
	// derives it from sender, recipient and concatenation reference.
	Key        string
	Seq        int // position of the part, from 1
	Total      int // number of parts of the message, up to 255
	DataCoding uint8
	// Data is the user data of the part without its header, in the form
	// the transport needs to assemble the text. The gateway seals it
	// before storing it (a part may carry a PIN), so a store only ever
	// sees and returns opaque bytes.
	Data []byte
	From string // source address as received
	// FromTON and FromNPI qualify From as received; only the part that
	// completes a message needs them (its MO takes them), so a store
	// need not keep them.
	FromTON, FromNPI uint8
	To               string // short code
	SMSCID           string // message id the SMSC gave the part, if any
	Link             string // transport connection that delivered the part
	// Track is MO.Track for this part; the part that completes a message
	// tracks the whole message. Never stored.
	Track     func(fate func(confirmed bool))
	CreatedAt time.Time
}

// MOPartGroup describes the stored parts of one incomplete message.
type MOPartGroup struct {
	Key      string
	From, To string
	Total    int       // parts the message should have
	Received int       // parts stored
	First    time.Time // creation of the earliest stored part
}

// AssembleFunc joins the parts of a complete concatenated MO, given in Seq
// order with their data as the transport passed it, into the text of the
// MO. It runs inside the store transaction: it must be quick and must not
// call the Gateway.
type AssembleFunc func(parts []MOPart) string

// HandleMOPart stores one part of a concatenated MO durably and returns nil
// once it is committed: only then may the transport acknowledge the part.
// The part that completes its message is not stored: assemble joins it
// with the stored ones and the whole MO is stored as HandleMO would store
// it, in the transaction that deletes the parts. A repeated part (same Key
// and Seq) returns nil and changes nothing. Parts of a message whose first
// part is older than PartTimeout are dropped before p is recorded, so a
// reused reference starts afresh. The gateway sets p.CreatedAt.
//
// Errors: EInvalid for impossible Seq or Total, or a part whose Total or
// DataCoding contradicts the stored parts of its message (the transport
// should refuse it permanently); EBusy when MaxPartMessages messages are
// waiting for parts already (refuse it temporarily); anything else is
// internal.
func (g *Gateway) HandleMOPart(ctx context.Context, p MOPart, assemble AssembleFunc) error {
	if err := g.backlog.room(ctx); err != nil {
		if ErrorCode(err) == EBusy {
			g.stats.MOThrottled.Add(1)
		}
		return err
	}
	if p.Key == "" || p.Seq < 1 || p.Seq > p.Total || p.Total > 255 {
		return Errorf(EInvalid, "concatenated MO part %d of %d", p.Seq, p.Total)
	}
	aead, err := g.partCipher()
	if err != nil {
		return fmt.Errorf("store MO part: %w", err)
	}
	r := g.rules.Load()
	now := g.now()
	p.CreatedAt = now
	var (
		res   partResult
		m     *Message
		stale int64
		tk    ackTicket
	)
	err = g.store.Update(ctx, func(tx Tx) error {
		res, m, stale = partStored, nil, 0
		g.drop(&tk)
		parts, err := tx.MOParts(p.Key)
		if err != nil {
			return err
		}
		if len(parts) > 0 && earliest(parts).Before(now.Add(-g.partTimeout)) {
			if stale, err = tx.DeleteMOParts(p.Key); err != nil {
				return err
			}
			parts = nil
		}
		for _, q := range parts {
			if q.Seq == p.Seq {
				res = partDuplicate
				return nil
			}
		}
		if len(parts) > 0 && (parts[0].Total != p.Total || parts[0].DataCoding != p.DataCoding) {
			return Errorf(EInvalid, "part %d of %d (data_coding 0x%02X) contradicts the stored parts (%d parts, data_coding 0x%02X)",
				p.Seq, p.Total, p.DataCoding, parts[0].Total, parts[0].DataCoding)
		}
		if len(parts) == 0 {
			n, err := tx.MOPartMessages()
			if err != nil {
				return err
			}
			if n >= g.maxPartMsgs {
				return Errorf(EBusy, "%d concatenated MOs are waiting for parts", n)
			}
		}
		if len(parts)+1 < p.Total {
			sealed := p
			sealed.Data = sealPart(aead, p)
			err := tx.InsertMOPart(&sealed)
			if ErrorCode(err) == EDuplicate {
				res = partDuplicate
				return nil
			}
			return err
		}
		all := make([]MOPart, 0, p.Total)
		for _, q := range parts {
			data, err := openPart(aead, q)
			if err != nil {
				// Sealed under another PIN key: the message cannot be
				// rebuilt. Drop it rather than refuse its parts forever.
				if _, err := tx.DeleteMOParts(p.Key); err != nil {
					return err
				}
				res = partUnreadable
				return nil
			}
			q.Data = data
			all = append(all, q)
		}
		all = append(all, p)
		slices.SortFunc(all, func(a, b MOPart) int { return a.Seq - b.Seq })
		mo := MO{From: p.From, FromTON: p.FromTON, FromNPI: p.FromNPI, To: p.To, Text: assemble(all), Channel: ChannelSMS, ReceivedAt: now, Link: p.Link, Track: p.Track}
		m = g.inbound(&mo)
		for _, q := range all {
			if q.SMSCID != "" {
				m.SMSCIDs = make([]string, len(all))
				for i, q := range all {
					m.SMSCIDs[i] = q.SMSCID
				}
				break
			}
		}
		// Parts are de-duplicated one by one while their message is
		// incomplete; the whole message is matched as HandleMO does, with
		// the fate of the part that completed it.
		dup, _, err := g.admit(tx, r, m, now, p.Track != nil && !isSMSCKey(m.DedupKey), &tk, true)
		if err != nil {
			return err
		}
		if _, err := tx.DeleteMOParts(p.Key); err != nil {
			return err
		}
		res = partComplete
		if dup {
			res = partCompleteDuplicate
		}
		return nil
	})
	g.handOver(&tk, p.Track, err == nil)
	if err != nil {
		return fmt.Errorf("store MO part: %w", err)
	}
	from := normalized(p.From)
	if stale > 0 {
		g.log.Warn("stale parts of a concatenated MO dropped for a reused reference", "msisdn", from, "parts", stale)
	}
	switch res {
	case partComplete:
		g.stats.MOStored.Add(1)
		g.backlog.add(1)
		g.wake(g.wakeIn)
	case partCompleteDuplicate:
		g.stats.MODuplicate.Add(1)
		g.log.Info("SMSC redelivery of a concatenated MO already stored", "msisdn", from, "sms_id", m.ID)
	case partUnreadable:
		g.log.Error("concatenated MO dropped: its stored parts cannot be opened (PIN key changed?)", "msisdn", from, "total", p.Total)
	}
	return nil
}

// partResult is what HandleMOPart did with a part.
type partResult int

const (
	partStored            partResult = iota // stored, message incomplete
	partDuplicate                           // already stored
	partComplete                            // completed its message, MO stored
	partCompleteDuplicate                   // completed the SMSC's redelivery of a stored MO
	partUnreadable                          // stored parts unreadable, message dropped
)

// ExpireMOParts drops the stored parts of concatenated MOs still incomplete
// PartTimeout after their first part was stored at now, and logs each such
// message (masked sender, parts received; never the text). It returns the
// number of messages dropped. The SMSC acknowledged those parts, so it will
// not send them again: the customer has to send the message again.
func (g *Gateway) ExpireMOParts(ctx context.Context, now time.Time) (int, error) {
	var groups []MOPartGroup
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		groups, err = tx.ExpireMOParts(now.Add(-g.partTimeout))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire MO parts: %w", err)
	}
	for _, gr := range groups {
		g.log.Warn("incomplete concatenated MO dropped", "msisdn", normalized(gr.From), "short_code", gr.To,
			"parts", gr.Received, "total", gr.Total, "first_part_at", gr.First)
	}
	return len(groups), nil
}

// normalized returns the canonical MSISDN of an address, or the address.
func normalized(addr string) domain.MSISDN {
	if n, err := keywords.NormalizeMSISDN(addr); err == nil {
		return domain.MSISDN(n)
	}
	return domain.MSISDN(addr)
}

func earliest(parts []MOPart) time.Time {
	t := parts[0].CreatedAt
	for _, p := range parts[1:] {
		if p.CreatedAt.Before(t) {
			t = p.CreatedAt
		}
	}
	return t
}

// partCipher returns the AEAD that seals stored part data: AES-256-GCM
// under a key derived from the PIN key, which never lives in the database.
func (g *Gateway) partCipher() (cipher.AEAD, error) {
	block, err := aes.NewCipher(g.hasher.subkey("smsgw: concatenated MO parts v1"))
	if err != nil {
		return nil, fmt.Errorf("part cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("part cipher: %w", err)
	}
	return aead, nil
}

// partAD binds sealed data to its part: it cannot be moved to another
// message or position.
func partAD(p MOPart) []byte {
	ad := make([]byte, 0, len(p.Key)+9)
	ad = binary.BigEndian.AppendUint32(ad, uint32(p.Seq))
	ad = binary.BigEndian.AppendUint32(ad, uint32(p.Total))
	ad = append(ad, p.DataCoding)
	return append(ad, p.Key...)
}

// sealPart returns nonce || AES-GCM(p.Data).
func sealPart(aead cipher.AEAD, p MOPart) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(p.Data)+aead.Overhead())
	_, _ = rand.Read(nonce) // never fails (crypto/rand panics instead)
	return aead.Seal(nonce, nonce, p.Data, partAD(p))
}

var errSealedPart = errors.New("sealed MO part cannot be opened")

// openPart reverses sealPart.
func openPart(aead cipher.AEAD, p MOPart) ([]byte, error) {
	n := aead.NonceSize()
	if len(p.Data) < n+aead.Overhead() {
		return nil, errSealedPart
	}
	data, err := aead.Open(nil, p.Data[:n], p.Data[n:], partAD(p))
	if err != nil {
		return nil, errSealedPart
	}
	return data, nil
}
