package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/webphone"
)

// simulator is the embedded SMSC as a person sees it (webphone.Simulator),
// with the JSON endpoints `smsgw sim send` talks to and the web phone.
type simulator struct {
	*webphone.Simulator
	phone *webphone.Handler // set by mountPhone
}

// SimMessage is one MT as `smsgw sim send` prints it. Seq is the cursor of
// GET /sim/messages.
type SimMessage struct {
	Seq       int64     `json:"seq"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Text      string    `json:"text"`
	MessageID string    `json:"message_id"`
	Time      time.Time `json:"time"`
}

func (a *App) startSimulator() error {
	cfg := &a.Config
	pw := cfg.Simulator.Password
	if cfg.Simulator.PasswordEnv != "" {
		pw = getenv(cfg.Simulator.PasswordEnv)
	}
	l, err := net.Listen("tcp", cfg.Simulator.Listen)
	if err != nil {
		return fmt.Errorf("simulator.listen: %w", err)
	}
	srv := &smsc.Server{Listener: l, SystemID: "SMSCSIM"}
	if pw != "" {
		srv.Credentials = map[string]string{cfg.Simulator.SystemID: pw}
	}
	srv.Logger = a.Logger
	srv.ReceiptDelay = cfg.Simulator.DLRDelay.Duration
	sim := webphone.NewSimulator(srv, webphone.SimulatorOptions{Redact: a.redactMO})
	srv.Start()
	a.sim, a.simUI = srv, &simulator{Simulator: sim}
	a.Logger.Info("SMSC simulator listening", "addr", srv.Addr())
	return nil
}

// SimSendRequest is the body of POST /sim/send.
type SimSendRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
	Text string `json:"text"`
}

// SimSendResponse answers POST /sim/send: the SMSC-side statuses of the
// deliver_sm parts and the cursor for GET /sim/messages.
type SimSendResponse struct {
	Statuses []string `json:"statuses"`
	Cursor   int64    `json:"cursor"`
}

const maxSimBody = 16 << 10

func (s *simulator) handleSend(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	var req SimSendRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSimBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		httpError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	if req.From == "" || req.To == "" {
		httpError(w, http.StatusBadRequest, "from and to are required")
		return
	}
	_, cursor, _ := s.Thread(math.MaxInt64, "")
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	_, err := s.Send(ctx, req.From, req.To, req.Text)
	resp := SimSendResponse{Cursor: cursor, Statuses: []string{pdu.StatusOK.Name()}}
	var refused *webphone.RefusedError
	switch {
	case errors.As(err, &refused):
		resp.Statuses = []string{refused.Status.Name()}
	case err != nil:
		httpError(w, http.StatusServiceUnavailable, "deliver: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleMessages serves GET /sim/messages?msisdn=&after=&wait=: MTs after a
// cursor, waiting up to wait (max 30s) for the first one.
func (s *simulator) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	wait, _ := time.ParseDuration(q.Get("wait"))
	wait = min(max(wait, 0), 30*time.Second)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		msgs, cursor, changed := s.Thread(after, q.Get("msisdn"))
		var out []SimMessage
		for _, m := range msgs {
			if m.Dir == webphone.DirMT {
				out = append(out, SimMessage{Seq: m.Rev, From: m.Code, To: m.MSISDN, Text: m.Text, MessageID: m.MessageID, Time: m.Time})
			}
		}
		if len(out) > 0 || wait == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"messages": out, "cursor": cursor})
			return
		}
		after = cursor
		select {
		case <-changed:
		case <-deadline.C:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// cmdSim is `smsgw sim send --from X --to CODE TEXT`: it posts the MO to the
// running daemon's simulator and prints the replies that follow.
func cmdSim(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "send" {
		return fmt.Errorf("%w: sim send --from <msisdn> --to <short code> <text>", errUsage)
	}
	fs, path := newFlags("sim send")
	from := fs.String("from", "", "sender MSISDN")
	to := fs.String("to", "", "short code")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for replies")
	addr := fs.String("addr", "", "daemon HTTP address (default: http.listen of the config)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if *from == "" || *to == "" || len(pos) == 0 {
		return fmt.Errorf("%w: sim send --from <msisdn> --to <short code> <text>", errUsage)
	}
	base := *addr
	if base == "" {
		cfg, err := LoadConfig(*path)
		if err != nil {
			return err
		}
		base = cfg.HTTP.Listen
	}
	if !strings.HasPrefix(base, "http") {
		base = "http://" + base
	}
	body, _ := json.Marshal(SimSendRequest{From: *from, To: *to, Text: strings.Join(pos, " ")})
	client := &http.Client{Timeout: *wait + 20*time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/sim/send", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("is the daemon running with the simulator? %w", err)
	}
	var sent SimSendResponse
	err = decodeResponse(res, &sent)
	if err != nil {
		return err
	}
	for _, st := range sent.Statuses {
		if st != "ESME_ROK" {
			fmt.Fprintf(stdout, "the gateway answered the MO with %s\n", st)
		}
	}
	// Print replies until none has come for a short while.
	cursor, got := sent.Cursor, 0
	deadline := time.Now().Add(*wait)
	for time.Now().Before(deadline) {
		w := time.Until(deadline)
		if got > 0 {
			w = 700 * time.Millisecond
		}
		u := fmt.Sprintf("%s/sim/messages?msisdn=%s&after=%d&wait=%s", base, url.QueryEscape(*from), cursor, w.Round(time.Millisecond))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		var page struct {
			Messages []SimMessage `json:"messages"`
			Cursor   int64        `json:"cursor"`
		}
		if err := decodeResponse(res, &page); err != nil {
			return err
		}
		if len(page.Messages) == 0 {
			if got > 0 {
				return nil
			}
			continue
		}
		for _, m := range page.Messages {
			fmt.Fprintf(stdout, "%s → %s: %s\n", m.From, keywords.LocalMSISDN(m.To), m.Text)
			cursor = m.Seq
			got++
		}
	}
	if got == 0 {
		return errors.New("no reply within " + wait.String())
	}
	return nil
}

func decodeResponse(res *http.Response, v any) error {
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("daemon: %s", e.Error)
		}
		return fmt.Errorf("daemon: %s", res.Status)
	}
	return json.Unmarshal(b, v)
}
