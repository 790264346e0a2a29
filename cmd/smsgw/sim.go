package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/sim"
)

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
	body, _ := json.Marshal(sim.SendRequest{MSISDN: *from, To: *to, Text: strings.Join(pos, " ")})
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
	var sent sim.SendResponse
	if err := decodeResponse(res, &sent); err != nil {
		// A refused MO is answered 503 with the MO and its SMPP status:
		// say so and wait for an apology SMS, as the customer would.
		if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(sent.Message.Status, "ESME_") {
			return err
		}
		fmt.Fprintf(stdout, "the gateway answered the MO with %s\n", sent.Message.Status)
	}
	// Print replies until none has come for a short while.
	cursor, got := sent.Since, 0
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
		var page sim.MessagesResponse
		if err := decodeResponse(res, &page); err != nil {
			return err
		}
		replies := 0
		for _, m := range page.Messages {
			if m.Dir == sim.DirMT {
				fmt.Fprintf(stdout, "%s → %s: %s\n", m.Code, domain.MSISDN(m.MSISDN).Local(), m.Text)
				replies++
			}
		}
		got += replies
		if replies == 0 && got > 0 {
			return nil
		}
		cursor = max(cursor, page.Cursor)
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
		_ = json.Unmarshal(b, v) // what the error body carries besides the error
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
