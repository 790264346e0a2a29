package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxUSSDInput is the longest input a subscriber may type on a USSD
// screen, in characters (a USSD string holds 182).
const MaxUSSDInput = 182

// USSDDialRequest is the JSON body of POST {prefix}/ussd/dial.
type USSDDialRequest struct {
	MSISDN string `json:"msisdn"`
	Dial   string `json:"dial"` // e.g. "*9779#"
}

// USSDAnswerRequest is the JSON body of POST {prefix}/ussd/answer.
type USSDAnswerRequest struct {
	MSISDN string `json:"msisdn"`
	Text   string `json:"text"`
}

// USSDCancelRequest is the JSON body of POST {prefix}/ussd/cancel.
type USSDCancelRequest struct {
	MSISDN string `json:"msisdn"`
	// Drop ends the session on the phone only, as when it loses the
	// network; by default the network sends the gateway a release.
	Drop bool `json:"drop,omitempty"`
}

// USSDResponse answers the USSD endpoints: the screen to show, and why
// the request failed (then the screen, if any, is the ended session).
type USSDResponse struct {
	Screen *USSDScreen `json:"screen,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// USSDCodes returns the USSD service codes a phone may dial; none when
// the API serves no USSD.
func (h *Handler) USSDCodes() []string { return slices.Clone(h.o.USSDCodes) }

// DialUSSD checks req (a valid MSISDN; a dial string *CODE# or
// *CODE*ARG...# of a known service code) and opens the session. Bad input
// is a *RequestError and nothing is sent.
func (h *Handler) DialUSSD(ctx context.Context, req USSDDialRequest) (USSDScreen, error) {
	req.MSISDN = strings.TrimSpace(req.MSISDN)
	req.Dial = strings.TrimSpace(req.Dial)
	if h.ussd == nil {
		return USSDScreen{}, &RequestError{"USSD is not enabled in this simulator"}
	}
	if _, err := CheckMSISDN(req.MSISDN); err != nil {
		return USSDScreen{}, err
	}
	if req.Dial == "" {
		return USSDScreen{}, &RequestError{"dial is required, for example " + h.exampleDial()}
	}
	code, err := ParseUSSDDial(req.Dial)
	if err != nil {
		return USSDScreen{}, &RequestError{fmt.Sprintf("dial %.40q is not a USSD code: dial *, the service code and #, for example %s", req.Dial, h.exampleDial())}
	}
	if !slices.Contains(h.o.USSDCodes, code) {
		return USSDScreen{}, &RequestError{fmt.Sprintf("dial %q: *%s# is not a USSD service of this gateway: dial %s", req.Dial, code, h.exampleDial())}
	}
	return h.ussd.DialUSSD(ctx, req.MSISDN, req.Dial)
}

// AnswerUSSD checks req (a valid MSISDN; a text present, UTF-8 and at
// most MaxUSSDInput characters) and sends the input. Bad input is a
// *RequestError and nothing is sent.
func (h *Handler) AnswerUSSD(ctx context.Context, req USSDAnswerRequest) (USSDScreen, error) {
	req.MSISDN = strings.TrimSpace(req.MSISDN)
	req.Text = strings.TrimSpace(req.Text)
	if h.ussd == nil {
		return USSDScreen{}, &RequestError{"USSD is not enabled in this simulator"}
	}
	if _, err := CheckMSISDN(req.MSISDN); err != nil {
		return USSDScreen{}, err
	}
	switch n := utf8.RuneCountInString(req.Text); {
	case !utf8.ValidString(req.Text):
		return USSDScreen{}, &RequestError{"text is not valid UTF-8"}
	case n == 0:
		return USSDScreen{}, &RequestError{"text is required: type the answer to the screen"}
	case n > MaxUSSDInput:
		return USSDScreen{}, &RequestError{fmt.Sprintf("text is too long: %d characters, at most %d", n, MaxUSSDInput)}
	}
	return h.ussd.AnswerUSSD(ctx, req.MSISDN, req.Text)
}

// CancelUSSD checks req and ends the open session.
func (h *Handler) CancelUSSD(ctx context.Context, req USSDCancelRequest) (USSDScreen, error) {
	req.MSISDN = strings.TrimSpace(req.MSISDN)
	if h.ussd == nil {
		return USSDScreen{}, &RequestError{"USSD is not enabled in this simulator"}
	}
	if _, err := CheckMSISDN(req.MSISDN); err != nil {
		return USSDScreen{}, err
	}
	return h.ussd.CancelUSSD(ctx, req.MSISDN, req.Drop)
}

func (h *Handler) exampleDial() string { return "*" + h.o.USSDCodes[0] + "#" }

// writeUSSD answers a USSD request: 200 with the screen; 400 for bad
// input; 409 when the session's state does not allow it; 503 with the
// ended screen when the gateway did not take the message or answer it.
func writeUSSD(w http.ResponseWriter, sc USSDScreen, err error) {
	var bad *RequestError
	var state *USSDSessionError
	switch {
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, apiError{Error: bad.Msg})
	case errors.As(err, &state):
		writeJSON(w, http.StatusConflict, apiError{Error: state.Msg})
	case err != nil:
		resp := USSDResponse{Error: err.Error()}
		if sc.End {
			resp.Screen = &sc
		}
		writeJSON(w, http.StatusServiceUnavailable, resp)
	default:
		writeJSON(w, http.StatusOK, USSDResponse{Screen: &sc})
	}
}

// ussdWait bounds one USSD request: the network's answer wait and a
// margin.
const ussdWait = 15 * time.Second

func (h *Handler) serveUSSDDial(w http.ResponseWriter, r *http.Request) {
	var req USSDDialRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ussdWait)
	defer cancel()
	sc, err := h.DialUSSD(ctx, req)
	writeUSSD(w, sc, err)
}

func (h *Handler) serveUSSDAnswer(w http.ResponseWriter, r *http.Request) {
	var req USSDAnswerRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ussdWait)
	defer cancel()
	sc, err := h.AnswerUSSD(ctx, req)
	writeUSSD(w, sc, err)
}

func (h *Handler) serveUSSDCancel(w http.ResponseWriter, r *http.Request) {
	var req USSDCancelRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ussdWait)
	defer cancel()
	sc, err := h.CancelUSSD(ctx, req)
	writeUSSD(w, sc, err)
}

// serveUSSDState answers GET {prefix}/ussd?msisdn= with the last screen of
// the number's latest session (end: true once it is over, with the reason
// when the network ended it), or 404 when it has none.
func (h *Handler) serveUSSDState(w http.ResponseWriter, r *http.Request) {
	msisdn := strings.TrimSpace(r.URL.Query().Get("msisdn"))
	if _, err := CheckMSISDN(msisdn); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	sc, ok := h.ussd.USSD(msisdn)
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no USSD session for this number"})
		return
	}
	writeJSON(w, http.StatusOK, USSDResponse{Screen: &sc})
}
