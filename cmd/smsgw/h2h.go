package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// H2HConfig is the [h2h] section: the host-to-host partner API.
type H2HConfig struct{}

func (c *H2HConfig) validate() error { return nil }

// mountH2H adds the partner API under /h2h to mux.
func (a *App) mountH2H(mux *http.ServeMux) error { return nil }

// h2hJobs returns the partner API's periodic jobs.
func (a *App) h2hJobs() []cronJob { return nil }

// cmdPartner is `smsgw partner`: partner transactions and callbacks.
func cmdPartner(ctx context.Context, args []string, stdout io.Writer) error {
	return fmt.Errorf("%w: partner: not available yet", errUsage)
}
