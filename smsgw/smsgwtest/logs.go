package smsgwtest

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
)

// LogBuffer collects log output for a test to search. Its zero value is
// ready to use; it is safe for concurrent use, so several loggers and
// goroutines may write to one LogBuffer.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NewLogger returns a logger that writes every record, debug level
// included, as text to w.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
