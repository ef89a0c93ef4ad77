package nemesis

var _ Fault = (*Pause)(nil)

// Pause stops the target nodes' processes (SIGSTOP) and, on Heal, lets
// them continue (SIGCONT): a process that freezes without dying, as in a
// long GC pause or a stalled VM.
type Pause struct{ processFault }

// Name is "pause".
func (p *Pause) Name() string { return FaultPause }

func newPause(p Processes, leader LeaderFinder, target string, order []string) *Pause {
	return &Pause{processFault{
		kind: FaultPause, target: target, order: order, leader: leader,
		start: p.Pause, end: p.Resume,
	}}
}
