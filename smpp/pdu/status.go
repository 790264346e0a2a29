package pdu

import "fmt"

// Status is a command_status value (§5.1.3). It implements error so that a
// failed response can be returned as an error; StatusOK is not an error and
// callers must check for it before treating a Status as one.
//
// Unknown values (vendor-specific ones in 0x400–0x4FF included) are kept
// numerically and never mapped to StatusOK.
type Status uint32

// command_status values of SMPP 3.4 §5.1.3.
const (
	StatusOK               Status = 0x00000000 // ESME_ROK
	StatusInvMsgLen        Status = 0x00000001 // ESME_RINVMSGLEN
	StatusInvCmdLen        Status = 0x00000002 // ESME_RINVCMDLEN
	StatusInvCmdID         Status = 0x00000003 // ESME_RINVCMDID
	StatusInvBindStatus    Status = 0x00000004 // ESME_RINVBNDSTS
	StatusAlreadyBound     Status = 0x00000005 // ESME_RALYBND
	StatusInvPrioFlag      Status = 0x00000006 // ESME_RINVPRTFLG
	StatusInvRegDlvFlag    Status = 0x00000007 // ESME_RINVREGDLVFLG
	StatusSysErr           Status = 0x00000008 // ESME_RSYSERR
	StatusInvSrcAddr       Status = 0x0000000A // ESME_RINVSRCADR
	StatusInvDstAddr       Status = 0x0000000B // ESME_RINVDSTADR
	StatusInvMsgID         Status = 0x0000000C // ESME_RINVMSGID
	StatusBindFail         Status = 0x0000000D // ESME_RBINDFAIL
	StatusInvPassword      Status = 0x0000000E // ESME_RINVPASWD
	StatusInvSysID         Status = 0x0000000F // ESME_RINVSYSID
	StatusCancelFail       Status = 0x00000011 // ESME_RCANCELFAIL
	StatusReplaceFail      Status = 0x00000013 // ESME_RREPLACEFAIL
	StatusMsgQFull         Status = 0x00000014 // ESME_RMSGQFUL
	StatusInvServiceType   Status = 0x00000015 // ESME_RINVSERTYP
	StatusInvNumDests      Status = 0x00000033 // ESME_RINVNUMDESTS
	StatusInvDLName        Status = 0x00000034 // ESME_RINVDLNAME
	StatusInvDestFlag      Status = 0x00000040 // ESME_RINVDESTFLAG
	StatusInvSubRep        Status = 0x00000042 // ESME_RINVSUBREP
	StatusInvESMClass      Status = 0x00000043 // ESME_RINVESMCLASS
	StatusCntSubDL         Status = 0x00000044 // ESME_RCNTSUBDL
	StatusSubmitFail       Status = 0x00000045 // ESME_RSUBMITFAIL
	StatusInvSrcTON        Status = 0x00000048 // ESME_RINVSRCTON
	StatusInvSrcNPI        Status = 0x00000049 // ESME_RINVSRCNPI
	StatusInvDstTON        Status = 0x00000050 // ESME_RINVDSTTON
	StatusInvDstNPI        Status = 0x00000051 // ESME_RINVDSTNPI
	StatusInvSysType       Status = 0x00000053 // ESME_RINVSYSTYP
	StatusInvRepFlag       Status = 0x00000054 // ESME_RINVREPFLAG
	StatusInvNumMsgs       Status = 0x00000055 // ESME_RINVNUMMSGS
	StatusThrottled        Status = 0x00000058 // ESME_RTHROTTLED
	StatusInvSched         Status = 0x00000061 // ESME_RINVSCHED
	StatusInvExpiry        Status = 0x00000062 // ESME_RINVEXPIRY
	StatusInvDftMsgID      Status = 0x00000063 // ESME_RINVDFTMSGID
	StatusXTAppn           Status = 0x00000064 // ESME_RX_T_APPN
	StatusXPAppn           Status = 0x00000065 // ESME_RX_P_APPN
	StatusXRAppn           Status = 0x00000066 // ESME_RX_R_APPN
	StatusQueryFail        Status = 0x00000067 // ESME_RQUERYFAIL
	StatusInvOptParStream  Status = 0x000000C0 // ESME_RINVOPTPARSTREAM
	StatusOptParNotAllowed Status = 0x000000C1 // ESME_ROPTPARNOTALLWD
	StatusInvParLen        Status = 0x000000C2 // ESME_RINVPARLEN
	StatusMissingOptParam  Status = 0x000000C3 // ESME_RMISSINGOPTPARAM
	StatusInvOptParamVal   Status = 0x000000C4 // ESME_RINVOPTPARAMVAL
	StatusDeliveryFailure  Status = 0x000000FE // ESME_RDELIVERYFAILURE
	StatusUnknownErr       Status = 0x000000FF // ESME_RUNKNOWNERR
)

// StatusInvDefMsgID is an alias of StatusInvDftMsgID (ESME_RINVDFTMSGID,
// "invalid default message id"), spelled as some vendor documents do.
const StatusInvDefMsgID = StatusInvDftMsgID

var statusNames = map[Status]string{
	StatusOK:               "ESME_ROK",
	StatusInvMsgLen:        "ESME_RINVMSGLEN",
	StatusInvCmdLen:        "ESME_RINVCMDLEN",
	StatusInvCmdID:         "ESME_RINVCMDID",
	StatusInvBindStatus:    "ESME_RINVBNDSTS",
	StatusAlreadyBound:     "ESME_RALYBND",
	StatusInvPrioFlag:      "ESME_RINVPRTFLG",
	StatusInvRegDlvFlag:    "ESME_RINVREGDLVFLG",
	StatusSysErr:           "ESME_RSYSERR",
	StatusInvSrcAddr:       "ESME_RINVSRCADR",
	StatusInvDstAddr:       "ESME_RINVDSTADR",
	StatusInvMsgID:         "ESME_RINVMSGID",
	StatusBindFail:         "ESME_RBINDFAIL",
	StatusInvPassword:      "ESME_RINVPASWD",
	StatusInvSysID:         "ESME_RINVSYSID",
	StatusCancelFail:       "ESME_RCANCELFAIL",
	StatusReplaceFail:      "ESME_RREPLACEFAIL",
	StatusMsgQFull:         "ESME_RMSGQFUL",
	StatusInvServiceType:   "ESME_RINVSERTYP",
	StatusInvNumDests:      "ESME_RINVNUMDESTS",
	StatusInvDLName:        "ESME_RINVDLNAME",
	StatusInvDestFlag:      "ESME_RINVDESTFLAG",
	StatusInvSubRep:        "ESME_RINVSUBREP",
	StatusInvESMClass:      "ESME_RINVESMCLASS",
	StatusCntSubDL:         "ESME_RCNTSUBDL",
	StatusSubmitFail:       "ESME_RSUBMITFAIL",
	StatusInvSrcTON:        "ESME_RINVSRCTON",
	StatusInvSrcNPI:        "ESME_RINVSRCNPI",
	StatusInvDstTON:        "ESME_RINVDSTTON",
	StatusInvDstNPI:        "ESME_RINVDSTNPI",
	StatusInvSysType:       "ESME_RINVSYSTYP",
	StatusInvRepFlag:       "ESME_RINVREPFLAG",
	StatusInvNumMsgs:       "ESME_RINVNUMMSGS",
	StatusThrottled:        "ESME_RTHROTTLED",
	StatusInvSched:         "ESME_RINVSCHED",
	StatusInvExpiry:        "ESME_RINVEXPIRY",
	StatusInvDftMsgID:      "ESME_RINVDFTMSGID",
	StatusXTAppn:           "ESME_RX_T_APPN",
	StatusXPAppn:           "ESME_RX_P_APPN",
	StatusXRAppn:           "ESME_RX_R_APPN",
	StatusQueryFail:        "ESME_RQUERYFAIL",
	StatusInvOptParStream:  "ESME_RINVOPTPARSTREAM",
	StatusOptParNotAllowed: "ESME_ROPTPARNOTALLWD",
	StatusInvParLen:        "ESME_RINVPARLEN",
	StatusMissingOptParam:  "ESME_RMISSINGOPTPARAM",
	StatusInvOptParamVal:   "ESME_RINVOPTPARAMVAL",
	StatusDeliveryFailure:  "ESME_RDELIVERYFAILURE",
	StatusUnknownErr:       "ESME_RUNKNOWNERR",
}

// Name returns the spec name of s, e.g. "ESME_RTHROTTLED", or "0x%08X" for a
// value the spec does not define.
func (s Status) Name() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(s))
}

// String returns the same as Name.
func (s Status) String() string { return s.Name() }

// Error returns the name and the value, e.g. "ESME_RTHROTTLED (0x00000058)".
func (s Status) Error() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(s))
	}
	return fmt.Sprintf("command_status 0x%08X", uint32(s))
}

// Known reports whether s is defined by SMPP 3.4.
func (s Status) Known() bool {
	_, ok := statusNames[s]
	return ok
}

// Temporary reports whether a request rejected with s may succeed if sent
// again later unchanged: ESME_RTHROTTLED, ESME_RMSGQFUL and ESME_RX_T_APPN.
//
// ESME_RSYSERR is deliberately not temporary: the spec gives it no retry
// semantics and SMSCs use it for permanent faults as well as outages, so
// resending could repeat a charge-bearing message forever. Callers that want
// a bounded retry on RSYSERR must decide that themselves.
func (s Status) Temporary() bool {
	switch s {
	case StatusThrottled, StatusMsgQFull, StatusXTAppn:
		return true
	}
	return false
}
