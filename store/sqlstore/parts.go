package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Concatenated MO parts (table mo_parts).

const partCols = `id, msg_key, seq, total, data_coding, data, source, dest, smsc_id, link, created_at`

func scanPart(row scanner) (*smsgw.MOPart, error) {
	var (
		p       smsgw.MOPart
		created int64
	)
	if err := row.Scan(&p.ID, &p.Key, &p.Seq, &p.Total, &p.DataCoding, &p.Data, &p.From, &p.To, &p.SMSCID, &p.Link, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = decTime(created)
	return &p, nil
}

// InsertMOPart stores one part; EDuplicate if (Key, Seq) is stored,
// EInvalid for an empty key or out-of-range numbers. CreatedAt defaults to
// now.
func (t *Tx) InsertMOPart(p *smsgw.MOPart) error {
	if p.Key == "" || p.Seq < 1 || p.Seq > p.Total || p.Total > 255 {
		return smsgw.Errorf(smsgw.EInvalid, "MO part %d of %d", p.Seq, p.Total)
	}
	p.CreatedAt = t.orNow(p.CreatedAt)
	data := p.Data
	if data == nil {
		data = []byte{} // NOT NULL: an empty part is an empty blob
	}
	var id int64
	err := t.queryRow(`INSERT INTO mo_parts (msg_key, seq, total, data_coding, data, source, dest, smsc_id, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_key, seq) DO NOTHING RETURNING id`,
		p.Key, p.Seq, p.Total, p.DataCoding, data, p.From, p.To, p.SMSCID, p.Link, encTime(p.CreatedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return smsgw.Errorf(smsgw.EDuplicate, "MO part %d already stored", p.Seq)
	} else if err != nil {
		return t.mapErr("insert MO part", err)
	}
	p.ID = id
	return nil
}

// MOParts lists the parts of key by seq.
func (t *Tx) MOParts(key string) ([]smsgw.MOPart, error) {
	rows, err := t.query(`SELECT `+partCols+` FROM mo_parts WHERE msg_key = ? ORDER BY seq`, key)
	if err != nil {
		return nil, fmt.Errorf("store: MO parts: %w", err)
	}
	return collect(rows, "MO parts", scanPart)
}

// DeleteMOParts deletes the parts of key.
func (t *Tx) DeleteMOParts(key string) (int64, error) {
	res, err := t.exec(`DELETE FROM mo_parts WHERE msg_key = ?`, key)
	if err != nil {
		return 0, fmt.Errorf("store: delete MO parts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete MO parts: %w", err)
	}
	return n, nil
}

// MOPartMessages counts the distinct keys with stored parts.
func (t *Tx) MOPartMessages() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(DISTINCT msg_key) FROM mo_parts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count MO part messages: %w", err)
	}
	return n, nil
}

// ExpireMOParts deletes the messages whose earliest part was created before
// before and describes them, oldest first.
func (t *Tx) ExpireMOParts(before time.Time) ([]smsgw.MOPartGroup, error) {
	rows, err := t.query(`SELECT msg_key, min(source), min(dest), max(total), count(*), min(created_at)
		FROM mo_parts GROUP BY msg_key HAVING min(created_at) < ? ORDER BY min(created_at), msg_key`, encTime(before))
	if err != nil {
		return nil, fmt.Errorf("store: expire MO parts: %w", err)
	}
	groups, err := collect(rows, "expire MO parts", func(row scanner) (*smsgw.MOPartGroup, error) {
		var (
			g     smsgw.MOPartGroup
			first int64
		)
		if err := row.Scan(&g.Key, &g.From, &g.To, &g.Total, &g.Received, &first); err != nil {
			return nil, err
		}
		g.First = decTime(first)
		return &g, nil
	})
	if err != nil || len(groups) == 0 {
		return groups, err
	}
	err = t.atomic("expire_mo_parts", func() error {
		const batch = 200 // well under SQLite's bound-parameter limit
		for i := 0; i < len(groups); i += batch {
			chunk := groups[i:min(i+batch, len(groups))]
			keys := make([]string, len(chunk))
			for j, g := range chunk {
				keys[j] = g.Key
			}
			list, args := inList(keys)
			if _, err := t.exec(`DELETE FROM mo_parts WHERE msg_key IN `+list, args...); err != nil {
				return fmt.Errorf("store: expire MO parts: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return groups, nil
}
