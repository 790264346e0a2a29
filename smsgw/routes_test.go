package smsgw_test

import (
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

func TestRoutesByPrefix(t *testing.T) {
	r, err := smsgw.NewRoutes("tsel", []smsgw.RouteConfig{
		{Name: "tsel", Prefixes: []string{"0811", "62812"}},
		{Name: "isat", Prefixes: []string{"+62815", "0816"}},
		{Name: "ported", Prefixes: []string{"08110000009", "081588"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]string{
		"628110000001": "tsel", "628120000001": "tsel", "628150000001": "isat", "628160000001": "isat",
		"628110000009": "ported", "628158800001": "ported", // the longest prefix wins
		"628990000001": "tsel", "": "tsel", // no prefix: the default
	} {
		if got := r.ByPrefix(domain.MSISDN(n)); got != want {
			t.Errorf("ByPrefix(%s) = %q, want %q", n, got, want)
		}
	}
	if !r.Known("isat") || r.Known("xl") || r.Known("") || r.Default() != "tsel" {
		t.Errorf("Known/Default wrong: %v %v %v %q", r.Known("isat"), r.Known("xl"), r.Known(""), r.Default())
	}
	var none *smsgw.Routes
	if none.ByPrefix("628110000001") != "" || none.Known("tsel") || none.Default() != "" {
		t.Error("nil Routes route something")
	}
	for _, bad := range [][]smsgw.RouteConfig{
		{{Name: "a", Prefixes: []string{"0811"}}, {Name: "b", Prefixes: []string{"62811"}}}, // the same prefix twice
		{{Name: "a"}, {Name: "a"}},
		{{Name: "a", Prefixes: []string{"08x"}}},
		{{Name: ""}},
	} {
		if _, err := smsgw.NewRoutes("a", bad); err == nil {
			t.Errorf("NewRoutes(%v) accepted", bad)
		}
	}
	if _, err := smsgw.NewRoutes("x", []smsgw.RouteConfig{{Name: "a"}}); err == nil {
		t.Error("NewRoutes with an unknown default accepted")
	}
}
