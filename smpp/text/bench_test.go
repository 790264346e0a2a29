package text_test

import (
	"strings"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

func BenchmarkEncodeGSM7(b *testing.B) {
	s := strings.Repeat("Price: €5 {promo} @shop. ", 6)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := text.EncodeGSM7(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	for _, bc := range []struct {
		name string
		s    string
		opts text.SplitOptions
	}{
		{"gsm7_single", "Your balance is 10.00. Reply HELP for help.", text.SplitOptions{}},
		{"gsm7_long", strings.Repeat("Top-up of 10.00 done {ref 12345}. ", 30), text.SplitOptions{Ref: 7}},
		{"gsm7_long_packed", strings.Repeat("Top-up of 10.00 done {ref 12345}. ", 30), text.SplitOptions{Options: text.Options{Packed: true}, Ref: 7}},
		{"ucs2_long", strings.Repeat("Пополнение 10.00 выполнено 👋 ", 20), text.SplitOptions{Ref: 7}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			for b.Loop() {
				if _, err := text.Split(bc.s, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
