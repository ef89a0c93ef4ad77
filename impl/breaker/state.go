package breaker

import "fmt"

// State is where a breaker stands. The names keep the seed's vocabulary.
type State uint8

// The three states of a circuit breaker.
const (
	Closed   State = iota // calls pass; failures are counted
	Open                  // calls are rejected at once with ErrOpen
	HalfOpen              // a bounded number of trial calls pass
)

func (s State) String() string {
	switch s {
	case Closed:
		return "CLOSED"
	case Open:
		return "OPEN"
	case HalfOpen:
		return "HALF_OPEN"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// ParseState reads CLOSED, OPEN or HALF_OPEN.
func ParseState(s string) (State, error) {
	switch s {
	case "CLOSED":
		return Closed, nil
	case "OPEN":
		return Open, nil
	case "HALF_OPEN":
		return HalfOpen, nil
	}
	return 0, fmt.Errorf("breaker state %q: want CLOSED, OPEN or HALF_OPEN", s)
}

// Outcome is how the breaker saw one call.
type Outcome uint8

// Outcomes of a call. A classifier returns Success, Failure or Ignored; the
// breaker turns a Success that took at least Config.SlowCallDuration into
// Slow, and a call it did not let through into Rejected.
const (
	Success  Outcome = iota // counted as a success
	Failure                 // counted as a failure
	Slow                    // a success that was too slow: counted as a failure
	Ignored                 // not counted (the caller gave up, by default)
	Rejected                // not admitted: ErrOpen or ErrTooManyTrials
)

func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Slow:
		return "slow"
	case Ignored:
		return "ignored"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// failed reports whether the outcome counts against the downstream.
func (o Outcome) failed() bool { return o == Failure || o == Slow }
