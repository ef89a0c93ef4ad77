package nemesis

var _ Fault = (*Kill)(nil)

// Kill kills the target nodes' processes (SIGKILL) and, on Heal, restarts
// them from their data directories.
type Kill struct{ processFault }

// Name is "kill".
func (k *Kill) Name() string { return FaultKill }

func newKill(p Processes, leader LeaderFinder, target string, order []string) *Kill {
	return &Kill{processFault{
		kind: FaultKill, target: target, order: order, leader: leader,
		start: p.Kill, end: p.Restart,
	}}
}
