package pdu

import (
	"errors"
	"fmt"
)

// Sentinel errors carried in DecodeError.Err and EncodeError.Err; test them
// with errors.Is.
var (
	// ErrTruncated: the PDU ends inside a mandatory field.
	ErrTruncated = errors.New("pdu truncated")
	// ErrTrailingData: octets left after the last field of a PDU that
	// carries no TLVs.
	ErrTrailingData = errors.New("trailing data after pdu body")
	// ErrStringTooLong: a C-Octet String has no NUL within its maximum
	// size (decode) or is longer than its maximum (encode).
	ErrStringTooLong = errors.New("c-octet string too long")
	// ErrUnknownCommand: command_id is not defined by SMPP 3.4.
	ErrUnknownCommand = errors.New("unknown command_id")
	// ErrBadLength: command_length is out of range or disagrees with the
	// frame, or a length-constrained field has an illegal length
	// (sm_length 255, a time that is neither empty nor 16 characters).
	ErrBadLength = errors.New("bad length")
	// ErrTLVStream: a TLV header or value runs past the end of the PDU.
	ErrTLVStream = errors.New("broken tlv stream")
	// ErrTLVLength: a known TLV has a length §5.3.2 does not allow, or a
	// TLV value is longer than 65535 octets.
	ErrTLVLength = errors.New("bad tlv length")
	// ErrInvalidValue: a field holds a value the encoding cannot carry
	// (an unknown dest_flag, a NUL inside a string, too many entries).
	ErrInvalidValue = errors.New("invalid field value")
	// ErrShortMessageTooLong: short_message is longer than 254 octets;
	// send longer user data in the message_payload TLV.
	ErrShortMessageTooLong = errors.New("short_message longer than 254 octets, use message_payload")
	// ErrWrongCommand: Header.ID does not belong to the PDU's Go type.
	ErrWrongCommand = errors.New("command_id does not match pdu type")
)

// DecodeError reports a PDU that could not be decoded. ID and Seq are the
// header fields when they could be read (zero otherwise), so that a server
// can answer the right request. Status is the command_status a server
// should answer with (§2.8): in the request's response when ID is a known
// request, in a generic_nack otherwise; when Err is ErrBadLength from
// ReadFrame the framing is lost and the connection must be closed after the
// generic_nack.
type DecodeError struct {
	ID     CommandID
	Seq    uint32
	Field  string // offending field, e.g. "source_addr" or "tlv message_state"; empty for the header
	Status Status
	Err    error
}

// Error implements error.
func (e *DecodeError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("decode %v seq %d: %s: %v", e.ID, e.Seq, e.Field, e.Err)
	}
	return fmt.Sprintf("decode %v seq %d: %v", e.ID, e.Seq, e.Err)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError reports a PDU that cannot be encoded because a field violates
// its size or type. Nothing is written when it is returned.
type EncodeError struct {
	ID    CommandID
	Field string
	Err   error
}

// Error implements error.
func (e *EncodeError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("encode %v: %s: %v", e.ID, e.Field, e.Err)
	}
	return fmt.Sprintf("encode %v: %v", e.ID, e.Err)
}

// Unwrap returns Err.
func (e *EncodeError) Unwrap() error { return e.Err }
