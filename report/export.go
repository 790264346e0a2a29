package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/smsgw/smsgw/smsgw"
)

// Format is an export format.
type Format string

// Export formats. CSV has a header row; JSON is an array of objects with
// the same field names; table is aligned text for a terminal.
const (
	FormatCSV   = Format("csv")
	FormatJSON  = Format("json")
	FormatTable = Format("table")
)

// ParseFormat checks an export format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatCSV, FormatJSON, FormatTable:
		return f, nil
	}
	return "", filterErr("format", "want csv, json or table, got %q", s)
}

// DefaultExportRows bounds an export when ExportOptions.MaxRows is 0.
const DefaultExportRows = 100_000

// exportBatch is the number of rows read per query while exporting.
const exportBatch = 500

// ExportOptions configure Export.
type ExportOptions struct {
	// Location is the zone of the times written and of filter times
	// without a zone (default UTC).
	Location *time.Location
	// Now is the time relative filters ("since=24h") count from (default
	// time.Now()).
	Now time.Time
	// MaxRows bounds the rows written (default DefaultExportRows).
	MaxRows int
}

// Env is the clock and zone of o, with their defaults.
func (o ExportOptions) Env() Env { return Env{Now: o.Now, Location: o.Location}.norm() }

// ExportView parses the filter values v of a view (one of Views) and
// exports its rows as Export does. A *FilterError reports a bad filter
// value.
func ExportView(ctx context.Context, st smsgw.Store, view string, v Values, f Format, w io.Writer, o ExportOptions) (int, error) {
	e := o.Env()
	q, err := ParseQuery(view, v, e)
	if err != nil {
		return 0, err
	}
	o.Now, o.Location = e.Now, e.Location
	return Export(ctx, st, q, f, w, o)
}

// Export writes the rows q selects to w in format f, in the view's order
// (newest first, customers by number), and returns how many it wrote.
// Rows are read in batches inside one read transaction, so the export is
// one consistent snapshot.
func Export(ctx context.Context, st smsgw.Store, q Query, f Format, w io.Writer, o ExportOptions) (int, error) {
	maxRows := o.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultExportRows
	}
	e := o.Env()
	out, err := newRowWriter(w, f, q.Columns())
	if err != nil {
		return 0, err
	}
	n := 0
	err = st.View(ctx, func(tx smsgw.Tx) error {
		for n < maxRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch, err := q.Fetch(tx, e, min(exportBatch, maxRows-n), n)
			if err != nil {
				return err
			}
			for _, r := range batch {
				if err := out.write(r); err != nil {
					return err
				}
			}
			n += len(batch)
			if len(batch) < exportBatch {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := out.close(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// WriteRecords writes rows already loaded to w in format f, with the
// header columns for CSV and table.
func WriteRecords(w io.Writer, f Format, columns []string, rows []Record) error {
	out, err := newRowWriter(w, f, columns)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := out.write(r); err != nil {
			return err
		}
	}
	return out.close()
}

func newRowWriter(w io.Writer, f Format, columns []string) (rowWriter, error) {
	switch f {
	case FormatCSV:
		return newCSVWriter(w, columns), nil
	case FormatJSON:
		return newJSONWriter(w), nil
	case FormatTable:
		return newTableWriter(w, columns), nil
	}
	return nil, filterErr("format", "want csv, json or table, got %q", f)
}

type rowWriter interface {
	write(r Record) error
	close() error
}

// csvWriter writes a header and one line per record. Cells that a
// spreadsheet would run as a formula are prefixed with a quote.
type csvWriter struct {
	w      *csv.Writer
	header []string
	wrote  bool
}

func newCSVWriter(w io.Writer, header []string) *csvWriter {
	return &csvWriter{w: csv.NewWriter(w), header: header}
}

func (c *csvWriter) start() error {
	if c.wrote {
		return nil
	}
	c.wrote = true
	return c.w.Write(c.header)
}

func (c *csvWriter) write(r Record) error {
	if err := c.start(); err != nil {
		return err
	}
	cells := r.Cells()
	for i, s := range cells {
		cells[i] = spreadsheetSafe(s)
	}
	return c.w.Write(cells)
}

func (c *csvWriter) close() error {
	if err := c.start(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

// spreadsheetSafe defuses a cell a spreadsheet would evaluate (=, +, -, @
// or a control character first) unless it is a plain number.
func spreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}

// jsonWriter streams a JSON array, one object per line.
type jsonWriter struct {
	w     *bufio.Writer
	enc   *json.Encoder
	count int
}

func newJSONWriter(w io.Writer) *jsonWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(true)
	return &jsonWriter{w: bw, enc: enc}
}

func (j *jsonWriter) write(r Record) error {
	sep := ",\n"
	if j.count == 0 {
		sep = "[\n"
	}
	j.count++
	if _, err := j.w.WriteString(sep); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) close() error {
	end := "\n]\n"
	if j.count == 0 {
		end = "[]\n"
	}
	if _, err := j.w.WriteString(end); err != nil {
		return err
	}
	return j.w.Flush()
}

// tableWriter aligns records in columns for a terminal.
type tableWriter struct {
	tw *tabwriter.Writer
}

func newTableWriter(w io.Writer, header []string) *tableWriter {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	h := make([]string, len(header))
	for i, s := range header {
		h[i] = strings.ToUpper(s)
	}
	fmt.Fprintln(tw, strings.Join(h, "\t"))
	return &tableWriter{tw: tw}
}

// tableCell makes s safe for one terminal cell: control characters (tabs,
// line breaks, ESC sequences an SMS could carry) become spaces or U+FFFD.
func tableCell(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

func (t *tableWriter) write(r Record) error {
	cells := r.Cells()
	for i, s := range cells {
		cells[i] = tableCell(s)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	_, err := fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
	return err
}

func (t *tableWriter) close() error { return t.tw.Flush() }

// TransactionRecord is a transaction with its timeline, as exported.
// Partner and Callbacks are set for a transaction a host-to-host partner
// request opened or paid.
type TransactionRecord struct {
	Session  *SessionRecord `json:"session"`
	Transfer *TransferJSON  `json:"transfer"`
	Entries  []EntryJSON    `json:"entries"`
	Steps    []StepRecord   `json:"steps"`

	Partner   *PartnerRecord    `json:"partner,omitempty"`
	Callbacks []*CallbackRecord `json:"callbacks,omitempty"`
}

// TransferJSON is a ledger transfer as exported.
type TransferJSON struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Amount    int64     `json:"amount"`
	Reference string    `json:"reference"`
	SessionID int64     `json:"session_id"`
	// ReversesID is, for a reversal or refund, the transfer it undoes.
	ReversesID int64 `json:"reverses_id,omitempty"`
}

// NewTransferJSON converts tr with its time in loc.
func NewTransferJSON(tr *smsgw.Transfer, loc *time.Location) *TransferJSON {
	return &TransferJSON{ID: tr.ID, Time: tr.CreatedAt.In(loc), Kind: tr.Kind, From: string(tr.From), To: string(tr.To),
		Amount: int64(tr.Amount), Reference: tr.Reference, SessionID: tr.SessionID, ReversesID: tr.ReversesID}
}

// EntryJSON is a ledger entry as exported.
type EntryJSON struct {
	ID           int64  `json:"id"`
	Account      string `json:"account"`
	Amount       int64  `json:"amount"`
	BalanceAfter int64  `json:"balance_after"`
}

// NewEntryJSON converts e.
func NewEntryJSON(e *smsgw.Entry) EntryJSON {
	return EntryJSON{ID: e.ID, Account: string(e.Account), Amount: int64(e.Amount), BalanceAfter: int64(e.BalanceAfter)}
}

// StepRecord is one timeline step as exported: Message for MOs, MTs and
// receipts (with Part for a receipt), Transfer for the ledger step,
// Partner for the steps of a partner request and Callback for those of
// its callback.
type StepRecord struct {
	Time       time.Time  `json:"time"`
	Kind       string     `json:"kind"`
	Label      string     `json:"label"`
	Message    *SMSRecord `json:"message,omitempty"`
	SMSCID     string     `json:"smsc_id,omitempty"`
	DLRState   string     `json:"dlr_state,omitempty"`
	DLRError   string     `json:"dlr_error,omitempty"`
	TransferID int64      `json:"transfer_id,omitempty"`
	State      string     `json:"state,omitempty"`

	Partner  *PartnerRecord  `json:"partner,omitempty"`
	Callback *CallbackRecord `json:"callback,omitempty"`
}

// Cells gives the CSV and table values of the step.
func (s *StepRecord) Cells() []string {
	var msg, text, detail string
	if s.Message != nil {
		msg = itoa(s.Message.ID)
		text = s.Message.Text
		detail = s.Message.Direction + " " + s.Message.ShortCode + " " + s.Message.Status
	}
	switch {
	case s.Kind == StepReceipt:
		detail = s.SMSCID + " " + s.DLRState + " " + s.DLRError
	case s.TransferID != 0:
		detail = "transfer " + itoa(s.TransferID)
	case s.Kind == StepPartnerRequest && s.Partner != nil:
		p := s.Partner
		detail = fmt.Sprintf("trxid %d %s/%s %s %d", p.TrxID, p.Partner, p.RefID, p.Kind, p.Amount)
	case s.Partner != nil:
		p := s.Partner
		detail = fmt.Sprintf("trxid %d %s", p.TrxID, p.State)
		if p.Reason != "" {
			detail += " (" + p.Reason + ")"
		}
	case s.Callback != nil:
		cb := s.Callback
		detail = fmt.Sprintf("callback %d %s after %d attempt(s)", cb.ID, cb.Status, cb.Attempts)
		text = cb.LastError
	case s.State != "":
		detail = s.State
	}
	return []string{fmtTime(s.Time), s.Kind, s.Label, msg, strings.TrimSpace(detail), text}
}

// NewTransactionRecord converts a loaded transaction for display and
// export; texts are the redacted ones.
func NewTransactionRecord(t *Transaction, loc *time.Location) *TransactionRecord {
	r := &TransactionRecord{Entries: []EntryJSON{}, Steps: []StepRecord{}}
	if t.Session != nil {
		r.Session = NewSessionRecord(t.Session, loc)
	}
	if tr := t.Transfer; tr != nil {
		r.Transfer = NewTransferJSON(tr, loc)
	}
	for _, e := range t.Entries {
		r.Entries = append(r.Entries, NewEntryJSON(&e))
	}
	callbacks := map[int64]*CallbackRecord{}
	if t.Partner != nil {
		r.Partner = NewPartnerRecord(t.Partner, loc)
		for i := range t.Callbacks {
			cr := NewCallbackRecord(&t.Callbacks[i], t.Partner, loc)
			r.Callbacks = append(r.Callbacks, cr)
			callbacks[cr.ID] = cr
		}
	}
	for _, s := range t.Steps {
		sr := StepRecord{Time: s.At.In(loc), Kind: s.Kind, Label: StepLabel(s.Kind), State: string(s.State)}
		if s.Message != nil {
			sr.Message = NewSMSRecord(s.Message, loc)
		}
		if s.Part != nil {
			sr.SMSCID, sr.DLRState, sr.DLRError = s.Part.SMSCID, s.Part.DLRState, s.Part.DLRError
		}
		if s.Transfer != nil {
			sr.TransferID = s.Transfer.ID
		}
		if s.Partner != nil {
			sr.Partner = r.Partner
		}
		if s.Callback != nil {
			sr.Callback = callbacks[s.Callback.ID]
		}
		r.Steps = append(r.Steps, sr)
	}
	return r
}

// StepLabel names a timeline step (a Step* kind) for people.
func StepLabel(kind string) string {
	switch kind {
	case StepMO:
		return "Request (MO)"
	case StepOtherMO:
		return "MO"
	case StepPINPrompt:
		return "PIN prompt (MT)"
	case StepPIN:
		return "PIN reply (MO, redacted)"
	case StepReply:
		return "Reply (MT)"
	case StepTransfer:
		return "Ledger transfer"
	case StepResolved:
		return "Session resolved"
	case StepResult:
		return "Result (MT)"
	case StepReceipt:
		return "Delivery receipt"
	case StepPartnerRequest:
		return "Partner request (H2H)"
	case StepPartnerResult:
		return "Partner request result"
	case StepCallback:
		return "Callback to partner"
	case StepCallbackSent:
		return "Callback acknowledged"
	}
	return kind
}

// ExportTransaction writes the transaction of PIN session id (or, with
// byTransfer, of transfer id) with its timeline: JSON as one object, CSV
// and table as one row per step. ENotFound if it does not exist.
func ExportTransaction(ctx context.Context, st smsgw.Store, id int64, byTransfer bool, f Format, w io.Writer, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	var t *Transaction
	err := st.View(ctx, func(tx smsgw.Tx) (err error) {
		if byTransfer {
			t, err = LoadTransferTransaction(tx, id)
		} else {
			t, err = LoadTransaction(tx, id)
		}
		return err
	})
	if err != nil {
		return err
	}
	r := NewTransactionRecord(t, loc)
	if f == FormatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	out, err := newRowWriter(w, f, []string{"time", "step", "label", "message_id", "detail", "text"})
	if err != nil {
		return err
	}
	for i := range r.Steps {
		if err := out.write(&r.Steps[i]); err != nil {
			return err
		}
	}
	return out.close()
}
