package dlr_test

import (
	"testing"

	"github.com/smsgw/smsgw/smpp/dlr"
)

func TestParseState(t *testing.T) {
	tests := []struct {
		word string
		want dlr.State
	}{
		{"", dlr.NoState},
		{"DELIVRD", dlr.Delivered},
		{"delivered", dlr.Delivered},
		{"DELIVERED", dlr.Delivered},
		{"EXPIRED", dlr.Expired},
		{"DELETED", dlr.Deleted},
		{"UNDELIV", dlr.Undeliverable},
		{"ACCEPTD", dlr.Accepted},
		{"UNKNOWN", dlr.Unknown},
		{"REJECTD", dlr.Rejected},
		{"REJECTED", dlr.Rejected},
		{"ENROUTE", dlr.Enroute},
		{"BUFFRED", dlr.Buffered},
		{"BUFFERD", dlr.Buffered},
		{"ACKED", dlr.Acked},
		{"SKIPPED", dlr.Skipped},
		{"FAILED", dlr.Failed},
		{"0", dlr.Scheduled},
		{"1", dlr.Enroute},
		{"2", dlr.Delivered},
		{"6", dlr.Accepted},
		{"9", dlr.Skipped},
		{"10", dlr.Unrecognized},
		{"999", dlr.Unrecognized},
		{"NOPE", dlr.Unrecognized},
	}
	for _, tt := range tests {
		if got := dlr.ParseState(tt.word); got != tt.want {
			t.Errorf("ParseState(%q) = %v, want %v", tt.word, got, tt.want)
		}
	}
}

func TestStateOf(t *testing.T) {
	want := []dlr.State{dlr.Scheduled, dlr.Enroute, dlr.Delivered, dlr.Expired, dlr.Deleted,
		dlr.Undeliverable, dlr.Accepted, dlr.Unknown, dlr.Rejected, dlr.Skipped}
	for v, w := range want {
		if got := dlr.StateOf(uint8(v)); got != w {
			t.Errorf("StateOf(%d) = %v, want %v", v, got, w)
		}
	}
	for _, v := range []uint8{10, 0x7F, 0xFF} {
		if got := dlr.StateOf(v); got != dlr.Unrecognized {
			t.Errorf("StateOf(%d) = %v, want Unrecognized", v, got)
		}
	}
}

func TestStateOutcome(t *testing.T) {
	tests := []struct {
		state   dlr.State
		name    string
		final   bool
		outcome dlr.Outcome
	}{
		{dlr.NoState, "NONE", false, dlr.OutcomePending},
		{dlr.Scheduled, "SCHEDULED", false, dlr.OutcomePending},
		{dlr.Enroute, "ENROUTE", false, dlr.OutcomePending},
		{dlr.Delivered, "DELIVRD", true, dlr.OutcomeDelivered},
		{dlr.Expired, "EXPIRED", true, dlr.OutcomeFailed},
		{dlr.Deleted, "DELETED", true, dlr.OutcomeFailed},
		{dlr.Undeliverable, "UNDELIV", true, dlr.OutcomeFailed},
		{dlr.Accepted, "ACCEPTD", false, dlr.OutcomePending},
		{dlr.Unknown, "UNKNOWN", true, dlr.OutcomeFailed},
		{dlr.Rejected, "REJECTD", true, dlr.OutcomeFailed},
		{dlr.Skipped, "SKIPPED", true, dlr.OutcomeFailed},
		{dlr.Buffered, "BUFFRED", false, dlr.OutcomePending},
		{dlr.Acked, "ACKED", false, dlr.OutcomePending},
		{dlr.Failed, "FAILED", true, dlr.OutcomeFailed},
		{dlr.Unrecognized, "UNRECOGNIZED", true, dlr.OutcomeFailed},
		{dlr.State(200), "State(200)", true, dlr.OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.String(); got != tt.name {
				t.Errorf("State(%d).String() = %q, want %q", uint8(tt.state), got, tt.name)
			}
			if got := tt.state.Final(); got != tt.final {
				t.Errorf("%v.Final() = %v, want %v", tt.state, got, tt.final)
			}
			if got := tt.state.Outcome(); got != tt.outcome {
				t.Errorf("%v.Outcome() = %v, want %v", tt.state, got, tt.outcome)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[dlr.Outcome]string{
		dlr.OutcomePending: "pending", dlr.OutcomeDelivered: "delivered", dlr.OutcomeFailed: "failed", 5: "Outcome(5)",
	} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", uint8(o), got, want)
		}
	}
}
