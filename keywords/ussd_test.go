package keywords_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/keywords"
)

func TestParseDial(t *testing.T) {
	for in, want := range map[string]keywords.Dial{
		"*9779#":                   {Code: "9779"},
		" *9779# ":                 {Code: "9779"},
		"*9779*1#":                 {Code: "9779", Args: []string{"1"}},
		"*9779*08110000002*50000#": {Code: "9779", Args: []string{"08110000002", "50000"}},
		"9779":                     {Code: "9779"},
		"9779*2":                   {Code: "9779", Args: []string{"2"}},
	} {
		got, err := keywords.ParseDial(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDial(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "*#", "**9779#", "*9779**1#", "*97a9#", "*9779*1##", "*9779*-1#", "#9779*", strings.Repeat("1", 183),
		strings.Repeat("0", 181)} { // 181 digits: 183 characters once written as *...#
		if got, err := keywords.ParseDial(in); err == nil {
			t.Errorf("ParseDial(%q) = %+v, want an error", in, got)
		}
	}
	if d := (keywords.Dial{Code: "9779", Args: []string{"1", "2"}}); d.String() != "*9779*1*2#" {
		t.Errorf("String = %q", d.String())
	}
}

func TestSplitUSSDInputs(t *testing.T) {
	for in, want := range map[string][]string{
		"":                nil,
		"1":               {"1"},
		"1*08110000002*2": {"1", "08110000002", "2"},
		"1* 0811 *":       {"1", "0811", ""},
		"1**2":            {"1", "", "2"},
	} {
		got, err := keywords.SplitUSSDInputs(in, 20)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitUSSDInputs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := keywords.SplitUSSDInputs(strings.Repeat("1*", 21), 20); !errors.Is(err, keywords.ErrDialLength) {
		t.Errorf("21 inputs: %v, want ErrDialLength", err)
	}
}

// FuzzParseDial: a parsed dial string prints back to one that parses to the
// same; its code and arguments are digits.
func FuzzParseDial(f *testing.F) {
	for _, s := range []string{"*9779#", "*9779*08110000002*50000#", "9779*1", "**#", "*9779*\xff#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := keywords.ParseDial(s)
		if err != nil {
			return
		}
		again, err := keywords.ParseDial(d.String())
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("ParseDial(%q) = %+v; its String %q parses to %+v, %v", s, d, d.String(), again, err)
		}
		for _, a := range append([]string{d.Code}, d.Args...) {
			if a == "" || strings.Trim(a, "0123456789") != "" {
				t.Fatalf("ParseDial(%q): field %q is not digits", s, a)
			}
		}
	})
}

// FuzzSplitUSSDInputs: never more inputs than allowed, none with white
// space around it.
func FuzzSplitUSSDInputs(f *testing.F) {
	for _, s := range []string{"", "1*2*3", "1** *", strings.Repeat("9*", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := keywords.SplitUSSDInputs(s, 20)
		if err != nil {
			return
		}
		if len(in) > 20 {
			t.Fatalf("%d inputs", len(in))
		}
		for _, x := range in {
			if x != strings.TrimSpace(x) {
				t.Fatalf("input %q not trimmed", x)
			}
		}
	})
}
