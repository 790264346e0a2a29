package smsgwtest

import (
	"strings"

	"github.com/smsgw/smsgw/smsgw"
)

// JoinText is a smsgw.AssembleFunc for parts whose data is plain text: it
// joins their data in the order given.
func JoinText(parts []smsgw.MOPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.Write(p.Data)
	}
	return b.String()
}
