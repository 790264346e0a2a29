package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
)

// mountPprof serves the Go runtime profiles under /debug/pprof/ to clients
// on the loopback interface only: a profile shows code paths and timing,
// and must not be reachable from the operator network or through a proxy
// (a request carrying a forwarding header is refused even from loopback).
func mountPprof(mux *http.ServeMux) {
	sub := http.NewServeMux()
	sub.HandleFunc("/debug/pprof/", pprof.Index)
	sub.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	sub.HandleFunc("/debug/pprof/profile", pprof.Profile)
	sub.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	sub.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", loopbackOnly(sub))
}

// loopbackOnly answers 403 to requests that do not come straight from a
// loopback address.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip, perr := netip.ParseAddr(host)
		proxied := r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != ""
		if err != nil || perr != nil || !ip.Unmap().IsLoopback() || proxied {
			http.Error(w, "profiles are served to loopback clients only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
