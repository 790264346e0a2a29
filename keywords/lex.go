package keywords

import (
	"unicode"
	"unicode/utf8"
)

// sepWidth reports the byte width of the field separator that starts at
// s[i], or 0 when s[i] does not start one. Field separators are Unicode
// white space and the ASCII characters # * , . ; : / _ (see the grammar in
// doc.go).
func sepWidth(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r', '#', '*', ',', '.', ';', ':', '/', '_':
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return w
	}
	return 0
}

// spaceWidth reports the byte width of the white space character that starts
// at s[i], or 0.
func spaceWidth(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return w
	}
	return 0
}

// skipSeps returns the index of the first byte at or after i that does not
// belong to a field separator.
func skipSeps(s string, i int) int {
	for i < len(s) {
		w := sepWidth(s, i)
		if w == 0 {
			break
		}
		i += w
	}
	return i
}

// skipSpace returns the index of the first byte at or after i that is not
// white space.
func skipSpace(s string, i int) int {
	for i < len(s) {
		w := spaceWidth(s, i)
		if w == 0 {
			break
		}
		i += w
	}
	return i
}

// trimSeps removes leading and trailing field separators.
func trimSeps(s string) string {
	s = s[skipSeps(s, 0):]
	for len(s) > 0 {
		r, w := utf8.DecodeLastRuneInString(s)
		if r == utf8.RuneError && w <= 1 {
			break
		}
		if sepWidth(s, len(s)-w) != w {
			break
		}
		s = s[:len(s)-w]
	}
	return s
}

// nextField splits s, which must not start with a separator, into the field
// that runs up to the first separator and the rest after the separators
// that follow it.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && sepWidth(s, i) == 0 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i], s[skipSeps(s, i):]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isAlnum(c byte) bool { return isDigit(c) || isLetter(c) }

// alnumLen returns the length of the run of ASCII letters and digits at the
// start of s.
func alnumLen(s string) int {
	i := 0
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i
}

// skipDigits returns the index of the first byte at or after i that is not
// an ASCII digit.
func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix p,
// ignoring ASCII case.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// countDigits returns the number of ASCII digits in s.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}
