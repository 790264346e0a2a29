package text

// cr is the GSM 03.38 carriage return, used to fill 7 spare bits.
const cr = 0x0D

// Pack7 packs septets LSB first (3GPP TS 23.038 §6.1.2.1.1): septet k takes
// bits fillBits+7k .. fillBits+7k+6 of the little-endian bit stream, so the
// output is ceil((fillBits+7n)/8) octets. The first fillBits bits are zero;
// they align the text on a septet boundary after a UDH (see FillBits). When
// the last octet has 7 spare bits they hold a CR (0x0D), so a receiver does
// not read a trailing '@'. No septets give no octets. Only the low 7 bits of each septet are used;
// fillBits outside 0..6 is taken modulo 7.
//
// A text whose last septet is a CR that ends exactly on an octet boundary is
// read back without that CR by Unpack7, which cannot tell it from padding.
func Pack7(septets []byte, fillBits int) []byte {
	if len(septets) == 0 {
		return []byte{}
	}
	fill := normFill(fillBits)
	bits := fill + 7*len(septets)
	out := make([]byte, (bits+7)/8)
	var acc uint32
	nacc := fill
	j := 0
	for _, s := range septets {
		acc |= uint32(s&0x7F) << nacc
		nacc += 7
		for nacc >= 8 {
			out[j] = byte(acc)
			j++
			acc >>= 8
			nacc -= 8
		}
	}
	if nacc > 0 {
		if nacc == 1 {
			acc |= cr << 1
		}
		out[j] = byte(acc)
	}
	return out
}

// Unpack7 unpacks septets packed by Pack7 with the same fillBits. SMPP does
// not carry the septet count of packed data, so it is derived as
// floor((8·octets − fillBits)/7); when those septets fill the octets exactly
// and the last one is a CR, that CR is padding and is dropped. A trailing
// 0x00 in the same position is kept (it may be a real '@'); see
// Unpack7DropZero.
func Unpack7(packed []byte, fillBits int) []byte {
	return unpack7(packed, fillBits, false)
}

// Unpack7DropZero is Unpack7 that also drops a trailing 0x00 septet in the
// padding position, for senders that pad with zero bits instead of CR.
func Unpack7DropZero(packed []byte, fillBits int) []byte {
	return unpack7(packed, fillBits, true)
}

func unpack7(packed []byte, fillBits int, dropZero bool) []byte {
	fill := normFill(fillBits)
	bits := 8*len(packed) - fill
	if bits < 7 {
		return []byte{}
	}
	n := bits / 7
	out := make([]byte, n)
	var acc uint32
	nacc := 0
	k := 0
	for i, b := range packed {
		acc |= uint32(b) << nacc
		nacc += 8
		if i == 0 {
			acc >>= fill
			nacc -= fill
		}
		for nacc >= 7 && k < n {
			out[k] = byte(acc & 0x7F)
			k++
			acc >>= 7
			nacc -= 7
		}
	}
	if bits%7 == 0 {
		if last := out[n-1]; last == cr || (dropZero && last == 0) {
			out = out[:n-1]
		}
	}
	return out
}

// FillBits returns the number of fill bits that put packed septets on a
// septet boundary after a UDH of udhLen octets (UDHL octet included):
// 6 octets need 1 bit, 7 octets none.
func FillBits(udhLen int) int {
	return (7 - (8*udhLen)%7) % 7
}

// PackUserData returns the packed user data of a message with a UDH: the UDH
// (UDHL octet included) followed by the septets packed after FillBits(len(udh))
// fill bits.
func PackUserData(udh, septets []byte) []byte {
	packed := Pack7(septets, FillBits(len(udh)))
	out := make([]byte, 0, len(udh)+len(packed))
	out = append(out, udh...)
	return append(out, packed...)
}

// UnpackUserData returns the septets of packed user data that starts with a
// UDH of udhLen octets (UDHL octet included), as ParseUDH consumed it. A
// udhLen outside 0..len(ud) gives no septets.
func UnpackUserData(ud []byte, udhLen int) []byte {
	return unpackUserData(ud, udhLen, false)
}

// UnpackUserData is the package function UnpackUserData honouring
// o.DropZeroPad.
func (o Options) UnpackUserData(ud []byte, udhLen int) []byte {
	return unpackUserData(ud, udhLen, o.DropZeroPad)
}

func unpackUserData(ud []byte, udhLen int, dropZero bool) []byte {
	if udhLen < 0 || udhLen > len(ud) {
		return []byte{}
	}
	return unpack7(ud[udhLen:], FillBits(udhLen), dropZero)
}

// normFill maps fillBits into 0..6.
func normFill(fillBits int) int {
	f := fillBits % 7
	if f < 0 {
		f += 7
	}
	return f
}
