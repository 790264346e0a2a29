package h2h

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits on request parameters.
const (
	maxParams     = 32
	maxKeyLen     = 32
	maxValueLen   = 256
	formMediaType = "application/x-www-form-urlencoded"
	jsonMediaType = "application/json"
)

// Params are the parameters of one request, keyed by lower-case name.
type Params map[string]string

// Get returns the value of name (lower-case) or "".
func (p Params) Get(name string) string { return p[name] }

// ParamError is a malformed request: its message is safe to return to the
// partner.
type ParamError struct {
	Msg         string
	Unsupported bool // the content type is not supported (HTTP 415)
}

func (e *ParamError) Error() string { return e.Msg }

func paramErr(format string, args ...any) error {
	return &ParamError{Msg: fmt.Sprintf(format, args...)}
}

// ParseParams returns the parameters of a request: those of the query
// string and, for a body, those of a form (application/x-www-form-urlencoded)
// or a flat JSON object whose values are strings or numbers. Names are case
// insensitive ("refID" is "refid"). A name given twice, also across query
// and body or in another case, is an error, as are more than 32
// parameters, names over 32 or values over 256 octets, control characters
// and invalid UTF-8. Errors are *ParamError.
func ParseParams(contentType, rawQuery string, body []byte) (Params, error) {
	p := Params{}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, paramErr("malformed query string")
		}
		if err := p.addValues(q); err != nil {
			return nil, err
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	media := formMediaType
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, &ParamError{Msg: "malformed Content-Type", Unsupported: true}
		}
		media = mt
	}
	switch media {
	case formMediaType:
		if !utf8.Valid(body) {
			return nil, paramErr("body is not UTF-8")
		}
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, paramErr("malformed form body")
		}
		if err := p.addValues(q); err != nil {
			return nil, err
		}
	case jsonMediaType:
		if err := p.addJSON(body); err != nil {
			return nil, err
		}
	default:
		return nil, &ParamError{Msg: "Content-Type must be " + formMediaType + " or " + jsonMediaType, Unsupported: true}
	}
	return p, nil
}

func (p Params) addValues(v url.Values) error {
	for k, vs := range v {
		if len(vs) != 1 {
			return paramErr("parameter %q given %d times", clip(k), len(vs))
		}
		if err := p.add(k, vs[0]); err != nil {
			return err
		}
	}
	return nil
}

// add stores one parameter after checking it.
func (p Params) add(key, value string) error {
	k := strings.ToLower(key)
	switch {
	case k == "" || len(k) > maxKeyLen || !printable(k):
		return paramErr("bad parameter name %q", clip(key))
	case len(value) > maxValueLen:
		return paramErr("parameter %s too long", k)
	case !utf8.ValidString(value) || !printableUTF8(value):
		return paramErr("parameter %s holds control characters or invalid UTF-8", k)
	}
	if _, dup := p[k]; dup {
		return paramErr("parameter %s given twice", k)
	}
	if len(p) >= maxParams {
		return paramErr("more than %d parameters", maxParams)
	}
	p[k] = value
	return nil
}

// addJSON reads a flat JSON object token by token, so that a repeated
// name is seen and nesting is refused.
func (p Params) addJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return paramErr("JSON body must be an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return paramErr("malformed JSON body")
		}
		key, ok := tok.(string)
		if !ok {
			return paramErr("malformed JSON body")
		}
		tok, err = dec.Token()
		if err != nil {
			return paramErr("malformed JSON body")
		}
		var value string
		switch v := tok.(type) {
		case string:
			value = v
		case json.Number:
			value = v.String()
		default:
			return paramErr("JSON value of %q must be a string or a number", clip(key))
		}
		if err := p.add(key, value); err != nil {
			return err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return paramErr("malformed JSON body")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return paramErr("trailing data after the JSON object")
	}
	return nil
}

// printable reports whether s is printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// printableUTF8 reports whether s has no control characters.
func printableUTF8(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// clip shortens attacker-controlled text quoted in messages.
func clip(s string) string {
	if len(s) > 24 {
		s = s[:24]
	}
	return strings.ToValidUTF8(s, "?")
}
