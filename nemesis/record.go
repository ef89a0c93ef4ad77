package nemesis

import (
	"fmt"
	"maps"

	"github.com/faultline/faultline/history"
)

// endEvent names the history event that ends a fault.
func endEvent(fault string) string {
	switch fault {
	case FaultKill, FaultPowerLoss:
		return history.FaultStart
	case FaultPause:
		return history.FaultResume
	}
	return history.FaultHeal
}

// startValue is the recorded Value of a fault's start: its id, the drawn
// parameters and what the fault says it did.
func startValue(id int64, params map[string]any, f Fault) map[string]any {
	v := maps.Clone(params)
	if v == nil {
		v = map[string]any{}
	}
	if d, ok := f.(Describer); ok {
		maps.Copy(v, d.Describe())
	}
	v["id"] = id
	return v
}

// record appends one nemesis event.
func (n *Nemesis) record(f string, value map[string]any) error {
	if n.deps.Recorder == nil {
		return nil
	}
	_, err := n.deps.Recorder.Append(history.Op{
		Process: history.NemesisProcess,
		Type:    history.Info,
		F:       f,
		Value:   history.MustValue(value),
	})
	if err != nil {
		return fmt.Errorf("recording %s: %w", f, err)
	}
	return nil
}
