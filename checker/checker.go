package checker

import (
	"context"
	"fmt"

	"github.com/faultline/faultline/history"
)

// Validity is a three-valued verdict: valid, invalid, or unknown (the
// checker ran out of time or memory, or the run did too little work to mean
// anything). Unknown is never a pass. In JSON it is true, false or "unknown".
type Validity int8

// The three verdicts. The zero value is Unknown, so that a result nobody
// filled in never reads as a pass.
const (
	Unknown Validity = iota
	Valid
	Invalid
)

func (v Validity) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// MarshalJSON writes true, false or "unknown".
func (v Validity) MarshalJSON() ([]byte, error) {
	switch v {
	case Valid:
		return []byte("true"), nil
	case Invalid:
		return []byte("false"), nil
	}
	return []byte(`"unknown"`), nil
}

// UnmarshalJSON reads true, false or "unknown".
func (v *Validity) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*v = Valid
	case "false":
		*v = Invalid
	case `"unknown"`:
		*v = Unknown
	default:
		return fmt.Errorf("validity %s: want true, false or \"unknown\"", b)
	}
	return nil
}

// Merge combines verdicts: any invalid makes the whole invalid; otherwise
// any unknown makes it unknown; only all-valid is valid. No verdicts at all
// is unknown.
func Merge(vs ...Validity) Validity {
	if len(vs) == 0 {
		return Unknown
	}
	out := Valid
	for _, v := range vs {
		switch {
		case v == Invalid:
			return Invalid
		case v == Unknown:
			out = Unknown
		}
	}
	return out
}

// Result is one checker's verdict and its evidence.
type Result struct {
	// Checker names the checker that produced the result.
	Checker string `json:"checker"`
	// Valid is the verdict.
	Valid Validity `json:"valid"`
	// Explanation says in words what was found, for the final line and
	// the report: "key 7: read 3 after write 5 completed", "no successful
	// operation while a fault was active".
	Explanation string `json:"explanation,omitempty"`
	// Details is the checker's own evidence (anomalies, counts, the first
	// bad operation …), written into summary.json as is.
	Details any `json:"details,omitempty"`
}

// Checker checks one property of a history. Implementations must honour
// ctx: when it is done they return an Unknown result, never Valid.
type Checker interface {
	Name() string
	Check(ctx context.Context, ops []history.Op) Result
}
