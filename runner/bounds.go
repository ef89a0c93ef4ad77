package runner

import (
	"strings"
	"time"

	"github.com/faultline/faultline/nemesis"
)

// FaultBounds are the user's bounds on the faults' parameters. A zero
// field leaves the default — the nemesis's, as the system tunes it — in
// place; a set one wins over both. The nemesis validates the result (jitter
// above latency, a minimum above its maximum: bad input, exit 254).
type FaultBounds struct {
	LatencyMin   time.Duration `json:"latency_min,omitempty"`
	LatencyMax   time.Duration `json:"latency_max,omitempty"`
	Jitter       time.Duration `json:"jitter,omitempty"`
	BandwidthMin int64         `json:"bandwidth_min_kbps,omitempty"`
	BandwidthMax int64         `json:"bandwidth_max_kbps,omitempty"`
	// ToxicLinks is nodes, clients or all: the links toxics act on.
	ToxicLinks string `json:"toxic_links,omitempty"`
	// Directions is a comma list of upstream, downstream, both.
	Directions string `json:"directions,omitempty"`
	// Topologies is a comma list of partition topologies.
	Topologies string `json:"topologies,omitempty"`
	// Targets is a comma list of process-fault targets.
	Targets string `json:"targets,omitempty"`
}

// apply writes the bounds that are set into nc.
func (b FaultBounds) apply(nc *nemesis.Config) {
	setDuration(&nc.LatencyMin, b.LatencyMin)
	setDuration(&nc.LatencyMax, b.LatencyMax)
	setDuration(&nc.Jitter, b.Jitter)
	if b.BandwidthMin != 0 {
		nc.BandwidthMin = b.BandwidthMin
	}
	if b.BandwidthMax != 0 {
		nc.BandwidthMax = b.BandwidthMax
	}
	if b.ToxicLinks != "" {
		nc.ToxicLinks = b.ToxicLinks
	}
	setList(&nc.Directions, b.Directions)
	setList(&nc.Topologies, b.Topologies)
	setList(&nc.Targets, b.Targets)
}

func setDuration(dst *time.Duration, v time.Duration) {
	if v != 0 {
		*dst = v
	}
}

func setList(dst *[]string, v string) {
	if v = strings.TrimSpace(v); v == "" {
		return
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*dst = out
}
