// Package text converts between Go strings and the user data of SMPP short
// messages.
//
// It owns:
//
//   - the meaning of the data_coding field (SMPP v3.4 §5.2.19, upper groups per
//     GSM 03.38 / 3GPP TS 23.038 §4), classified from the whole byte, never from
//     data_coding & 0x0F; what 0x00 means is a per-connection [Options] setting;
//   - the GSM 03.38 default alphabet and its extension table, 7-bit packing
//     (LSB first, CR in 7 spare bits, fill bits after a UDH), Latin-1, IA5/ASCII
//     and UCS-2 (sent as UTF-16BE with surrogate pairs);
//   - choosing the smallest encoding for a text ([Encode]) and splitting a long
//     text into parts ([Split]) with a concatenation UDH (8- or 16-bit
//     reference), sar_* values for TLVs, or a single message_payload part;
//   - parsing a received User Data Header ([ParseUDH], 3GPP TS 23.040 §9.2.3.24)
//     and reassembling concatenated mobile-originated parts ([Reassembler]).
//
// It must not do I/O, start goroutines, log, or read the clock: the current
// time is always an argument. It imports only the standard library and knows
// nothing about PDUs; callers copy data_coding, esm_class UDHI and sar_* values
// into PDUs themselves.
//
// Everything is safe for concurrent use: the functions are pure, [Options] and
// [SplitOptions] are plain values, and [Reassembler] guards its state with a
// mutex.
//
// Wire forms. GSM 7-bit text normally travels unpacked (one septet per octet)
// and the SMSC packs it for the air; a connection may ask for packed septets
// instead ([Options].Packed). Latin-1 and IA5 texts are counted as 8-bit data
// (140 octets per message) because the SMSC may have to carry them as such.
// 8-bit binary data is not text: [Decode] returns [ErrBinary] for it.
package text
