package history

import (
	"encoding/json"
	"fmt"
)

// Type is the kind of a history entry: an invocation or one of the three
// possible completions.
type Type string

// The four entry types of a Jepsen-style history.
const (
	Invoke Type = "invoke" // the operation was started
	Ok     Type = "ok"     // it happened; Value is what was observed
	Fail   Type = "fail"   // it certainly did not take effect
	Info   Type = "info"   // its outcome is unknown (timeout, lost connection)
)

// NemesisProcess is the process id of fault events.
const NemesisProcess = -1

// ErrorMismatch is the Error of a failed cas whose expected value did not
// match: the one failure that carries an observation.
const ErrorMismatch = "mismatch"

// Valid reports whether t is one of the four known types.
func (t Type) Valid() bool {
	switch t {
	case Invoke, Ok, Fail, Info:
		return true
	}
	return false
}

// Op is one line of a history.
type Op struct {
	// Index is the position in the file: 0, 1, 2, …
	Index int64 `json:"index"`
	// Time is nanoseconds since the run started, from a monotonic clock.
	Time int64 `json:"time"`
	// Process is the logical client (≥ 0), or NemesisProcess for faults.
	Process int `json:"process"`
	// Type is invoke, ok, fail or info.
	Type Type `json:"type"`
	// F names the operation (read, write, cas, acquire, …) or the fault.
	F string `json:"f"`
	// Key is the key the operation touches, where the workload has keys.
	Key string `json:"key,omitempty"`
	// Value is the argument on invoke and the observation on ok, as JSON.
	// A nil Value is written as null.
	Value json.RawMessage `json:"value"`
	// Error says why, on fail and info.
	Error string `json:"error,omitempty"`
	// Node optionally names the node the client talked to.
	Node string `json:"node,omitempty"`
}

// IsNemesis reports whether op is a fault event.
func (op Op) IsNemesis() bool { return op.Process == NemesisProcess }

// IsCompletion reports whether op completes an earlier invocation.
func (op Op) IsCompletion() bool { return op.Type == Ok || op.Type == Fail || op.Type == Info }

// Int decodes Value as an integer. ok is false when Value is null or absent.
func (op Op) Int() (v int64, ok bool, err error) {
	if isNull(op.Value) {
		return 0, false, nil
	}
	if err := json.Unmarshal(op.Value, &v); err != nil {
		return 0, false, fmt.Errorf("op %d: value %s is not an integer: %w", op.Index, op.Value, err)
	}
	return v, true, nil
}

// MustValue encodes v as JSON for an Op's Value. It panics only on values
// that cannot be encoded, which is a programming error.
func MustValue(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("history: cannot encode value %#v: %v", v, err))
	}
	return b
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}
