package dlr_test

import (
	"testing"

	"github.com/smsgw/smsgw/smpp/dlr"
)

func BenchmarkParse(b *testing.B) {
	s := "id:5F3A9C01 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 text:Hello"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := dlr.Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchAuto(b *testing.B) {
	for b.Loop() {
		dlr.Match("5F3A9C01", "1597676545", dlr.IDAuto)
	}
}
