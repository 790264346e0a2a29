package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Profiles are served to loopback clients and refused to anyone else,
// including a loopback proxy forwarding a remote client.
func TestPprofLoopbackOnly(t *testing.T) {
	mux := http.NewServeMux()
	mountPprof(mux)
	tests := []struct {
		remote string
		header string
		want   int
	}{
		{"127.0.0.1:5000", "", http.StatusOK},
		{"[::1]:5000", "", http.StatusOK},
		{"10.0.0.7:5000", "", http.StatusForbidden},
		{"192.168.1.2:5000", "", http.StatusForbidden},
		{"127.0.0.1:5000", "X-Forwarded-For", http.StatusForbidden},
		{"127.0.0.1:5000", "Forwarded", http.StatusForbidden},
		{"garbage", "", http.StatusForbidden},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/debug/pprof/cmdline", nil)
		r.RemoteAddr = tc.remote
		if tc.header != "" {
			r.Header.Set(tc.header, "203.0.113.9")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET /debug/pprof/cmdline from %s (%s) = %d, want %d", tc.remote, tc.header, w.Code, tc.want)
		}
	}
}
