package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// ConsoleConfig is the [console] section: the operator console and the web
// phone.
type ConsoleConfig struct{}

func (c *ConsoleConfig) validate() error { return nil }

// mountConsole adds the operator console and the web phone to mux.
func (a *App) mountConsole(mux *http.ServeMux) error { return nil }

// cmdAudit is `smsgw audit`: the console's views read from the store.
func cmdAudit(ctx context.Context, args []string, stdout io.Writer) error {
	return fmt.Errorf("%w: audit: not available yet", errUsage)
}
