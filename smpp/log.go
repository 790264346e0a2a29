package smpp

// Log attribute keys used by this package. Message text and passwords are
// never logged: PDUs are described by command, sequence number and status
// only.
const (
	logKeyComponent = "component"
	logKeyPeer      = "peer"
	logKeyAddr      = "addr"
	logKeySeq       = "seq"
	logKeyCommand   = "command"
	logKeyStatus    = "status"
	logKeyField     = "field"
	logKeyErr       = "err"
	logKeyMode      = "mode"
	logKeySystemID  = "system_id"
	logKeyDelay     = "delay"
	logKeyAttempt   = "attempt"
	logKeyRequest   = "request"
	logKeySMSC      = "smsc"
	logKeyTimeouts  = "timeouts"
	logKeyTimeout   = "timeout"
	logKeyCause     = "cause"
	logKeyPanic     = "panic"
	logKeyStack     = "stack"
	logKeyAnswer    = "answer"
)

// componentName is the value of the component attribute.
const componentName = "smpp"
