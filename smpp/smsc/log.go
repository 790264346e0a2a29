package smsc

// Log attribute keys. Message text and bind passwords are never logged; a
// message is identified by its SMSC message id and sequence number only.
const (
	logKeyComponent = "component"
	logKeyConn      = "conn"
	logKeyRemote    = "remote"
	logKeySystemID  = "system_id"
	logKeyMode      = "mode"
	logKeyCommand   = "command"
	logKeySeq       = "seq"
	logKeyStatus    = "status"
	logKeyMessageID = "message_id"
	logKeyState     = "state"
	logKeyErr       = "err"
)
