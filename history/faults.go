package history

import "encoding/json"

// Fault events. The nemesis records an Info op with process NemesisProcess
// when a fault starts and another when it ends. The start's F names the fault
// (partition, latency, kill, pause, bandwidth, …); the end's F is one of
// EndFaults. Both carry the same "id" in their Value object, so that
// overlapping faults pair up unambiguously:
//
//	{"process":-1,"type":"info","f":"partition","value":{"id":3,"groups":[["n1"],["n2","n3"]]}}
//	{"process":-1,"type":"info","f":"heal","value":{"id":3}}
//
// Histories from other tools that carry no id pair each end with the oldest
// open fault of a matching kind (see endsFor).

// Names of fault-ending events.
const (
	FaultHeal   = "heal"   // ends a partition or a toxic
	FaultStart  = "start"  // restarts a killed process (kill, powerloss)
	FaultResume = "resume" // resumes a paused process
)

// Window is the time a fault was in force.
type Window struct {
	ID         int64           `json:"id"`
	Fault      string          `json:"fault"`
	StartIndex int64           `json:"start_index"`
	EndIndex   int64           `json:"end_index"` // -1 when never ended
	Start      int64           `json:"start"`     // ns since the run started
	End        int64           `json:"end"`       // -1 when never ended
	Value      json.RawMessage `json:"value,omitempty"`
}

// Open reports whether the fault was never ended in the history.
func (w Window) Open() bool { return w.EndIndex < 0 }

// Contains reports whether time t (ns) falls inside the window; an open
// window extends to the end of the history.
func (w Window) Contains(t int64) bool {
	return t >= w.Start && (w.Open() || t <= w.End)
}

// FaultValue is the part of a fault event's Value that pairs start and end.
type FaultValue struct {
	ID *int64 `json:"id"`
}

// IsFaultEnd reports whether f names the end of a fault.
func IsFaultEnd(f string) bool {
	return f == FaultHeal || f == FaultStart || f == FaultResume
}

// endsFor reports whether an end event named end may close a fault named
// fault, for events that carry no id.
func endsFor(end, fault string) bool {
	switch end {
	case FaultStart:
		return fault == "kill" || fault == "powerloss"
	case FaultResume:
		return fault == "pause"
	}
	return fault != "kill" && fault != "powerloss" && fault != "pause"
}

// FaultWindows pairs the nemesis events of ops into windows, in the order
// the faults started.
func FaultWindows(ops []Op) []Window {
	var windows []Window
	open := map[int64]int{} // id → position in windows
	var unnamed []int       // positions of open windows without an id
	nextAnon := int64(-1)
	for _, op := range ops {
		if !op.IsNemesis() {
			continue
		}
		var fv FaultValue
		_ = json.Unmarshal(op.Value, &fv) // a value that is not an object has no id
		if IsFaultEnd(op.F) {
			if fv.ID != nil {
				if i, ok := open[*fv.ID]; ok {
					windows[i].EndIndex, windows[i].End = op.Index, op.Time
					delete(open, *fv.ID)
				}
				continue
			}
			unnamed = closeUnnamed(windows, unnamed, op)
			continue
		}
		w := Window{Fault: op.F, StartIndex: op.Index, EndIndex: -1, Start: op.Time, End: -1, Value: op.Value}
		if fv.ID != nil {
			w.ID = *fv.ID
			open[w.ID] = len(windows)
		} else {
			w.ID = nextAnon
			nextAnon--
			unnamed = append(unnamed, len(windows))
		}
		windows = append(windows, w)
	}
	return windows
}

// closeUnnamed ends the open id-less windows that op ends — every open
// partition and toxic for a bare heal, else the oldest matching one — and
// returns the positions of those still open.
func closeUnnamed(windows []Window, unnamed []int, op Op) []int {
	still := unnamed[:0]
	closed := false
	for _, i := range unnamed {
		if (!closed || op.F == FaultHeal) && endsFor(op.F, windows[i].Fault) {
			windows[i].EndIndex, windows[i].End = op.Index, op.Time
			closed = true
			continue
		}
		still = append(still, i)
	}
	return still
}
