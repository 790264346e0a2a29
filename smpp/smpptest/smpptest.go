package smpptest

import "github.com/smsgw/smsgw/smpp/smsc"

// DefaultSystemID is the SMSC name NewServer and NewUnstartedServer put in
// Server.SystemID.
const DefaultSystemID = "smpptest"

// NewServer returns a started Server listening on a free loopback port. It
// panics when no port can be had, as httptest.NewServer does.
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that is not started: set its fields,
// then call Start. It does no I/O.
func NewUnstartedServer() *Server {
	return &Server{SystemID: DefaultSystemID}
}

// The SMSC's types, all aliases of smsc's.
type (
	Server       = smsc.Server
	Conn         = smsc.Conn
	BindMode     = smsc.BindMode
	Submission   = smsc.Submission
	Nack         = smsc.Nack
	MessageState = smsc.MessageState
	Faults       = smsc.Faults
	WriteMode    = smsc.WriteMode
	TextOptions  = smsc.TextOptions
	USSD         = smsc.USSD
)

// Bind modes.
const (
	BindNone        = smsc.BindNone
	BindTransmitter = smsc.BindTransmitter
	BindReceiver    = smsc.BindReceiver
	BindTransceiver = smsc.BindTransceiver
)

// Message states.
const (
	StateEnroute       = smsc.StateEnroute
	StateDelivered     = smsc.StateDelivered
	StateExpired       = smsc.StateExpired
	StateDeleted       = smsc.StateDeleted
	StateUndeliverable = smsc.StateUndeliverable
	StateAccepted      = smsc.StateAccepted
	StateUnknown       = smsc.StateUnknown
	StateRejected      = smsc.StateRejected
)

// Write modes.
const (
	WriteWhole     = smsc.WriteWhole
	WriteBytewise  = smsc.WriteBytewise
	WriteCoalesced = smsc.WriteCoalesced
)

// USSD operations (ussd_service_op).
const (
	USSDOpPSSDIndication = smsc.USSDOpPSSDIndication
	USSDOpPSSRIndication = smsc.USSDOpPSSRIndication
	USSDOpUSSRRequest    = smsc.USSDOpUSSRRequest
	USSDOpUSSNRequest    = smsc.USSDOpUSSNRequest
	USSDOpPSSDResponse   = smsc.USSDOpPSSDResponse
	USSDOpPSSRResponse   = smsc.USSDOpPSSRResponse
	USSDOpUSSRConfirm    = smsc.USSDOpUSSRConfirm
	USSDOpUSSNConfirm    = smsc.USSDOpUSSNConfirm
)

// Defaults and protocol constants.
const (
	InterfaceVersion          = smsc.InterfaceVersion
	DefaultInitTimeout        = smsc.DefaultInitTimeout
	DefaultWriteTimeout       = smsc.DefaultWriteTimeout
	DefaultResponseTimeout    = smsc.DefaultResponseTimeout
	DefaultEnquireLinkTimeout = smsc.DefaultEnquireLinkTimeout
	DefaultMaxRecords         = smsc.DefaultMaxRecords
	DefaultMaxQueuedReceipts  = smsc.DefaultMaxQueuedReceipts
)

// Errors of the injection methods.
var (
	ErrNotBound     = smsc.ErrNotBound
	ErrConnClosed   = smsc.ErrConnClosed
	ErrServerClosed = smsc.ErrServerClosed
	ErrTimeout      = smsc.ErrTimeout
)

// Message id formats.
var (
	HexID        = smsc.HexID
	DecimalID    = smsc.DecimalID
	HexToDecimal = smsc.HexToDecimal
)
