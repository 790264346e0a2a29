// Package pdu is the SMPP 3.4 codec: bytes to typed PDU structs and back.
//
// It owns framing from an io.Reader (ReadFrame, with a cap on
// command_length, §3.1–§3.2), one Go type per PDU of §4 (Decode, Append,
// Marshal, New, Response), command ids (§5.1.2.1), command_status values as
// the Status error type (§5.1.3), optional parameters as an ordered TLV list
// with every §5.3.2 tag named and its length rules (§3.2.4, §5.3), and
// SMPP time strings (§7.1.1).
//
// It must not do I/O beyond reading the given io.Reader, start goroutines,
// read the clock, or log: callers pass "now" where it matters and log the
// errors this package returns. Text encodings of short_message (data_coding)
// live in package smpp/text, not here.
//
// Decoding never panics on any input and reports failures as *DecodeError,
// whose Status is the command_status a server should answer with (§2.8).
// Unknown TLVs and repeated TLVs are kept in wire order and encoded again
// unchanged. Decode copies the frame once; the strings, ShortMessage and TLV
// values of the result share that private copy (see Decode).
//
// The functions are safe for concurrent use. A PDU value is not: it is
// plain data owned by whoever holds it, and Append writes Header.Length.
package pdu
