package smpp

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// Defaults of SessionOptions and ClientOptions.
const (
	DefaultWindow              = 10
	DefaultResponseTimeout     = 10 * time.Second
	DefaultMaxTimeouts         = 3
	DefaultEnquireLinkInterval = 30 * time.Second
	DefaultEnquireLinkTimeout  = 10 * time.Second
	DefaultWriteTimeout        = 10 * time.Second
	DefaultUnbindTimeout       = 5 * time.Second
	DefaultWorkers             = 4
	DefaultQueueSize           = 64
	DefaultAckProbeDelay       = 200 * time.Millisecond
	DefaultInterfaceVersion    = 0x34
)

// SessionOptions configures a Session. The zero value is usable: every zero
// field takes the default named in its comment.
type SessionOptions struct {
	// Window is the maximum number of requests (submit_sm, data_sm...)
	// waiting for their response; a full window makes Send wait for a
	// slot. Default DefaultWindow (10).
	Window int
	// ResponseTimeout bounds the wait for each response. Default 10s.
	ResponseTimeout time.Duration
	// MaxTimeouts is the number of consecutive response timeouts after
	// which the link is considered dead and the session closed. Default 3;
	// negative means never.
	MaxTimeouts int
	// EnquireLinkInterval: an enquire_link is sent when nothing has been
	// received for this long. Default 30s; negative disables it.
	EnquireLinkInterval time.Duration
	// EnquireLinkTimeout: without an enquire_link_resp within this time the
	// link is dead and the session closed. Default 10s.
	EnquireLinkTimeout time.Duration
	// WriteTimeout is the deadline of every write to the connection.
	// Default 10s.
	WriteTimeout time.Duration
	// UnbindTimeout bounds each step of Unbind: waiting for outstanding
	// responses and in-flight handlers, then waiting for unbind_resp.
	// Default 5s.
	UnbindTimeout time.Duration
	// MaxPDULength caps the command_length accepted. Default
	// pdu.DefaultMaxLength.
	MaxPDULength int
	// Workers is the number of goroutines that run Handler. Default 4.
	Workers int
	// QueueSize is the number of received deliver_sm / data_sm that may
	// wait for a free worker. When it is full the reader stops reading
	// until a worker takes one (backpressure on the SMSC), which also
	// delays responses; keep it at least as large as the SMSC's window.
	// Default 64.
	QueueSize int
	// AckProbeDelay: when a deliver_sm or data_sm was acknowledged and the
	// session writes no request within this time that the SMSC answers,
	// it sends an enquire_link, whose answer confirms that the SMSC has
	// read the acknowledgement (see OnAck). Default
	// DefaultAckProbeDelay; negative disables it.
	AckProbeDelay time.Duration
	// Handler handles deliver_sm and data_sm. When nil they are answered
	// with ESME_RX_T_APPN so that the SMSC keeps them.
	Handler Handler
	// OnAlert, when set, is called (from a worker) with each
	// alert_notification; alert_notification has no response.
	OnAlert func(*pdu.AlertNotification)
	// Logger receives the session's logs. Default slog.Default().
	Logger *slog.Logger
	// Metrics receives counters and timings. Default none.
	Metrics Metrics
}

// withDefaults returns o with zero fields set to their defaults.
func (o SessionOptions) withDefaults() SessionOptions {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = DefaultResponseTimeout
	}
	if o.MaxTimeouts == 0 {
		o.MaxTimeouts = DefaultMaxTimeouts
	}
	if o.EnquireLinkInterval == 0 {
		o.EnquireLinkInterval = DefaultEnquireLinkInterval
	}
	if o.EnquireLinkTimeout <= 0 {
		o.EnquireLinkTimeout = DefaultEnquireLinkTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.UnbindTimeout <= 0 {
		o.UnbindTimeout = DefaultUnbindTimeout
	}
	if o.MaxPDULength <= 0 {
		o.MaxPDULength = pdu.DefaultMaxLength
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.AckProbeDelay == 0 {
		o.AckProbeDelay = DefaultAckProbeDelay
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
	return o
}

// BindMode selects the bind type (SMPP v3.4 §4.1).
type BindMode uint8

// Bind modes. The zero value is Transceiver.
const (
	// Transceiver binds one session with bind_transceiver: submits and
	// deliveries share it.
	Transceiver BindMode = iota
	// TransmitterReceiver binds two sessions, a bind_transmitter for
	// submits and a bind_receiver for deliveries. Client only.
	TransmitterReceiver
	// Transmitter binds with bind_transmitter: submits only.
	Transmitter
	// Receiver binds with bind_receiver: deliveries only.
	Receiver
)

// String returns the mode's name.
func (m BindMode) String() string {
	switch m {
	case Transceiver:
		return "transceiver"
	case TransmitterReceiver:
		return "transmitter+receiver"
	case Transmitter:
		return "transmitter"
	case Receiver:
		return "receiver"
	}
	return fmt.Sprintf("BindMode(%d)", uint8(m))
}

// BindParams are the fields of a bind_* request (SMPP v3.4 §4.1.1).
type BindParams struct {
	SystemID   string // max 15 characters
	Password   string // max 8 characters; never logged
	SystemType string // max 12 characters
	// InterfaceVersion defaults to 0x34 (SMPP 3.4) when zero.
	InterfaceVersion uint8
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string // max 40 characters
}

// LogValue hides the password when BindParams is logged.
func (p BindParams) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String(logKeySystemID, p.SystemID),
		slog.String("system_type", p.SystemType),
		slog.String("password", "REDACTED"),
	)
}

var _ slog.LogValuer = BindParams{}
