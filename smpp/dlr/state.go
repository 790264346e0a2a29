package dlr

import (
	"fmt"
	"strings"
)

// State is the state a receipt reports for a message: a message_state value
// (§5.2.28, SMPP 5.0 values included) or a stat: word.
type State uint8

// States. NoState means the receipt gave neither message_state nor stat:.
const (
	NoState       State = iota
	Scheduled           // message_state 0 (SMPP 5.0)
	Enroute             // message_state 1, ENROUTE
	Delivered           // message_state 2, DELIVRD
	Expired             // message_state 3, EXPIRED
	Deleted             // message_state 4, DELETED
	Undeliverable       // message_state 5, UNDELIV
	Accepted            // message_state 6, ACCEPTD
	Unknown             // message_state 7, UNKNOWN
	Rejected            // message_state 8, REJECTD
	Skipped             // message_state 9 (SMPP 5.0), SKIPPED
	Buffered            // BUFFRED: held by the SMSC for a later attempt
	Acked               // ACKED: acknowledged, not yet delivered
	Failed              // FAILED
	Unrecognized        // a stat: word or message_state value not listed here
)

// stateNames are the receipt stat words, as Appendix B spells them where it
// has one.
var stateNames = [...]string{
	NoState:       "NONE",
	Scheduled:     "SCHEDULED",
	Enroute:       "ENROUTE",
	Delivered:     "DELIVRD",
	Expired:       "EXPIRED",
	Deleted:       "DELETED",
	Undeliverable: "UNDELIV",
	Accepted:      "ACCEPTD",
	Unknown:       "UNKNOWN",
	Rejected:      "REJECTD",
	Skipped:       "SKIPPED",
	Buffered:      "BUFFRED",
	Acked:         "ACKED",
	Failed:        "FAILED",
	Unrecognized:  "UNRECOGNIZED",
}

// String returns the state's stat word, e.g. "DELIVRD".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// stateWords maps upper-case stat: words to states; the Appendix B 7-letter
// forms and the spellings SMSCs use instead.
var stateWords = map[string]State{
	"SCHEDULED": Scheduled, "SCHEDUL": Scheduled,
	"ENROUTE": Enroute,
	"DELIVRD": Delivered, "DELIVERED": Delivered,
	"EXPIRED": Expired,
	"DELETED": Deleted,
	"UNDELIV": Undeliverable, "UNDELIVERABLE": Undeliverable, "UNDELIVERED": Undeliverable,
	"ACCEPTD": Accepted, "ACCEPTED": Accepted,
	"UNKNOWN": Unknown,
	"REJECTD": Rejected, "REJECTED": Rejected,
	"SKIPPED": Skipped,
	"BUFFRED": Buffered, "BUFFERD": Buffered, "BUFFERED": Buffered,
	"ACKED":  Acked,
	"FAILED": Failed,
}

// ParseState maps a stat: word to a state, ignoring case: DELIVRD and
// DELIVERED are Delivered, BUFFRED and BUFFERD are Buffered, and so on. A
// word of digits is read as a message_state value. An empty word is
// NoState; any other word is Unrecognized.
func ParseState(word string) State {
	word = strings.ToUpper(strings.TrimSpace(word))
	if word == "" {
		return NoState
	}
	if s, ok := stateWords[word]; ok {
		return s
	}
	if n, ok := parseUint(word, 10); ok && n <= 0xFF {
		return StateOf(uint8(n))
	}
	return Unrecognized
}

// StateOf maps a message_state TLV value (§5.2.28; 0 and 9 from SMPP 5.0)
// to a state; values above 9 are Unrecognized.
func StateOf(messageState uint8) State {
	if messageState <= 9 {
		return Scheduled + State(messageState)
	}
	return Unrecognized
}

// Final reports whether no further receipt is expected for the message:
// every state but NoState, Scheduled, Enroute, Accepted, Buffered and Acked.
//
// ACCEPTD counts as pending: SMPP 3.4 calls it final, but SMSCs send it when
// they accept a message they have yet to deliver.
func (s State) Final() bool {
	switch s {
	case NoState, Scheduled, Enroute, Accepted, Buffered, Acked:
		return false
	}
	return true
}

// Outcome is the coarse result a receipt reports.
type Outcome uint8

// Outcomes.
const (
	OutcomePending   Outcome = iota // not final yet
	OutcomeDelivered                // reached the handset
	OutcomeFailed                   // final without delivery
)

// String returns "pending", "delivered" or "failed".
func (o Outcome) String() string {
	switch o {
	case OutcomePending:
		return "pending"
	case OutcomeDelivered:
		return "delivered"
	case OutcomeFailed:
		return "failed"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Outcome maps the state to its coarse result: Delivered (DELIVRD, message
// state 2) is delivered; the states that are not Final (ENROUTE, ACCEPTD,
// BUFFRED, ACKED, message states 0, 1 and 6, or no state at all) are
// pending; everything else is failed.
func (s State) Outcome() Outcome {
	switch {
	case s == Delivered:
		return OutcomeDelivered
	case !s.Final():
		return OutcomePending
	default:
		return OutcomeFailed
	}
}
