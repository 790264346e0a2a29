package pdu

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		s         Status
		name, err string
		temporary bool
	}{
		{StatusOK, "ESME_ROK", "ESME_ROK (0x00000000)", false},
		{StatusThrottled, "ESME_RTHROTTLED", "ESME_RTHROTTLED (0x00000058)", true},
		{StatusMsgQFull, "ESME_RMSGQFUL", "ESME_RMSGQFUL (0x00000014)", true},
		{StatusXTAppn, "ESME_RX_T_APPN", "ESME_RX_T_APPN (0x00000064)", true},
		{StatusXPAppn, "ESME_RX_P_APPN", "ESME_RX_P_APPN (0x00000065)", false},
		{StatusSysErr, "ESME_RSYSERR", "ESME_RSYSERR (0x00000008)", false},
		{StatusInvOptParStream, "ESME_RINVOPTPARSTREAM", "ESME_RINVOPTPARSTREAM (0x000000C0)", false},
		{StatusInvDftMsgID, "ESME_RINVDFTMSGID", "ESME_RINVDFTMSGID (0x00000063)", false},
		{0x00000400, "0x00000400", "command_status 0x00000400", false},
		{0x00000009, "0x00000009", "command_status 0x00000009", false},
	}
	for _, tt := range tests {
		if got := tt.s.Name(); got != tt.name {
			t.Errorf("Status(%#x).Name() = %q, want %q", uint32(tt.s), got, tt.name)
		}
		if got := tt.s.String(); got != tt.name {
			t.Errorf("Status(%#x).String() = %q, want %q", uint32(tt.s), got, tt.name)
		}
		if got := tt.s.Error(); got != tt.err {
			t.Errorf("Status(%#x).Error() = %q, want %q", uint32(tt.s), got, tt.err)
		}
		if got := tt.s.Temporary(); got != tt.temporary {
			t.Errorf("Status(%#x).Temporary() = %v, want %v", uint32(tt.s), got, tt.temporary)
		}
	}
	var err error = StatusThrottled
	var st Status
	if !errors.As(err, &st) || st != StatusThrottled {
		t.Errorf("errors.As(StatusThrottled) = %v", st)
	}
	if Status(0x400).Known() || !StatusCntSubDL.Known() {
		t.Errorf("Known() wrong")
	}
	// The 48 entries of the §5.1.3 table.
	spec := []struct {
		v    uint32
		name string
	}{
		{0x00000000, "ESME_ROK"},
		{0x00000001, "ESME_RINVMSGLEN"},
		{0x00000002, "ESME_RINVCMDLEN"},
		{0x00000003, "ESME_RINVCMDID"},
		{0x00000004, "ESME_RINVBNDSTS"},
		{0x00000005, "ESME_RALYBND"},
		{0x00000006, "ESME_RINVPRTFLG"},
		{0x00000007, "ESME_RINVREGDLVFLG"},
		{0x00000008, "ESME_RSYSERR"},
		{0x0000000A, "ESME_RINVSRCADR"},
		{0x0000000B, "ESME_RINVDSTADR"},
		{0x0000000C, "ESME_RINVMSGID"},
		{0x0000000D, "ESME_RBINDFAIL"},
		{0x0000000E, "ESME_RINVPASWD"},
		{0x0000000F, "ESME_RINVSYSID"},
		{0x00000011, "ESME_RCANCELFAIL"},
		{0x00000013, "ESME_RREPLACEFAIL"},
		{0x00000014, "ESME_RMSGQFUL"},
		{0x00000015, "ESME_RINVSERTYP"},
		{0x00000033, "ESME_RINVNUMDESTS"},
		{0x00000034, "ESME_RINVDLNAME"},
		{0x00000040, "ESME_RINVDESTFLAG"},
		{0x00000042, "ESME_RINVSUBREP"},
		{0x00000043, "ESME_RINVESMCLASS"},
		{0x00000044, "ESME_RCNTSUBDL"},
		{0x00000045, "ESME_RSUBMITFAIL"},
		{0x00000048, "ESME_RINVSRCTON"},
		{0x00000049, "ESME_RINVSRCNPI"},
		{0x00000050, "ESME_RINVDSTTON"},
		{0x00000051, "ESME_RINVDSTNPI"},
		{0x00000053, "ESME_RINVSYSTYP"},
		{0x00000054, "ESME_RINVREPFLAG"},
		{0x00000055, "ESME_RINVNUMMSGS"},
		{0x00000058, "ESME_RTHROTTLED"},
		{0x00000061, "ESME_RINVSCHED"},
		{0x00000062, "ESME_RINVEXPIRY"},
		{0x00000063, "ESME_RINVDFTMSGID"},
		{0x00000064, "ESME_RX_T_APPN"},
		{0x00000065, "ESME_RX_P_APPN"},
		{0x00000066, "ESME_RX_R_APPN"},
		{0x00000067, "ESME_RQUERYFAIL"},
		{0x000000C0, "ESME_RINVOPTPARSTREAM"},
		{0x000000C1, "ESME_ROPTPARNOTALLWD"},
		{0x000000C2, "ESME_RINVPARLEN"},
		{0x000000C3, "ESME_RMISSINGOPTPARAM"},
		{0x000000C4, "ESME_RINVOPTPARAMVAL"},
		{0x000000FE, "ESME_RDELIVERYFAILURE"},
		{0x000000FF, "ESME_RUNKNOWNERR"},
	}
	if len(statusNames) != len(spec) {
		t.Errorf("len(statusNames) = %d, want %d", len(statusNames), len(spec))
	}
	for _, e := range spec {
		if got := Status(e.v).Name(); got != e.name {
			t.Errorf("Status(%#x).Name() = %q, want %q", e.v, got, e.name)
		}
	}
}

func TestCommandID(t *testing.T) {
	tests := []struct {
		id   CommandID
		name string
	}{
		{SubmitSMID, "submit_sm"},
		{SubmitSMRespID, "submit_sm_resp"},
		{GenericNackID, "generic_nack"},
		{AlertNotificationID, "alert_notification"},
		{BindTransceiverRespID, "bind_transceiver_resp"},
		{0x00000099, "0x00000099"},
		{0x80000099, "0x80000099"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.name {
			t.Errorf("CommandID(%#x).String() = %q, want %q", uint32(tt.id), got, tt.name)
		}
	}
	if !SubmitSMRespID.IsResponse() || SubmitSMID.IsResponse() || SubmitSMID.Response() != SubmitSMRespID {
		t.Errorf("IsResponse/Response wrong")
	}
}

func TestNewAndResponse(t *testing.T) {
	for id := range commandNames {
		p := New(id)
		if p == nil || p.Hdr().ID != id {
			t.Fatalf("New(%v) = %#v", id, p)
		}
		if !reflect.ValueOf(p).Elem().FieldByName("Header").IsValid() {
			t.Errorf("New(%v) = %T without Header", id, p)
		}
		p.Hdr().Seq = 77
		r := Response(p, StatusThrottled)
		switch {
		case id.IsResponse() || id == OutbindID || id == AlertNotificationID:
			if r != nil {
				t.Errorf("Response(%v) = %#v, want nil", id, r)
			}
		default:
			if r == nil {
				t.Fatalf("Response(%v) = nil", id)
			}
			if h := r.Hdr(); h.ID != id.Response() || h.Seq != 77 || h.Status != StatusThrottled || h.Length != 0 {
				t.Errorf("Response(%v) header = %+v", id, *h)
			}
			if !id.Response().Known() {
				t.Errorf("Response(%v) id %v unknown", id, id.Response())
			}
			// An error response encodes as header only.
			if b, err := Marshal(r); err != nil || len(b) != HeaderLen {
				t.Errorf("Marshal(Response(%v, throttled)) = %X, %v, want 16 octets", id, b, err)
			}
		}
	}
	if New(0x99) != nil || Response(nil, 0) != nil || Response(&Unbind{Header{ID: 0x99}}, 0) != nil {
		t.Errorf("New/Response on unknown ids not nil")
	}
	r := Response(&SubmitSM{Header: Header{ID: SubmitSMID, Seq: 5}}, StatusOK).(*SubmitSMResp)
	r.MessageID = "abc"
	if b, err := Marshal(r); err != nil || !bytes.Equal(b, frame(SubmitSMRespID, 0, 5, cs("abc"))) {
		t.Errorf("Marshal(submit_sm_resp) = %X, %v", b, err)
	}
	if n := NewGenericNack(StatusInvCmdLen, 9); n.ID != GenericNackID || n.Status != StatusInvCmdLen || n.Seq != 9 {
		t.Errorf("NewGenericNack = %+v", n)
	}
}
