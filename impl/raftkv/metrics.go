package raftkv

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a node's Prometheus series, registered on a registry of its
// own (not the global one) so that several nodes can live in one process.
// client_golang is the reference Prometheus client: its text exposition
// is what every scraper reads.
type metrics struct {
	registry      *prometheus.Registry
	proposals     prometheus.Counter
	proposalsFail *prometheus.CounterVec
	applied       prometheus.Counter
	reads         prometheus.Counter
	requests      *prometheus.CounterVec
	leaderChanges prometheus.Counter
	snapshots     prometheus.Counter
	fsync         prometheus.Histogram
	readyEntries  prometheus.Histogram
	term          prometheus.Gauge
	commitIndex   prometheus.Gauge
	appliedIndex  prometheus.Gauge
	isLeader      prometheus.Gauge
}

func newMetrics(nodeID string) *metrics {
	labels := prometheus.Labels{"node": nodeID}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "raftkv", Name: name, Help: help, ConstLabels: labels})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "raftkv", Name: name, Help: help, ConstLabels: labels})
	}
	m := &metrics{
		registry:  prometheus.NewRegistry(),
		proposals: counter("proposals_total", "Writes and cas proposed to the Raft log by this node."),
		proposalsFail: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "raftkv", Name: "proposals_failed_total",
			Help: "Proposals refused before entering the log, by reason.", ConstLabels: labels}, []string{"reason"}),
		applied:       counter("applied_entries_total", "Log entries applied to the state machine."),
		reads:         counter("reads_total", "Linearizable reads served through ReadIndex."),
		leaderChanges: counter("leader_changes_total", "Times this node saw the leader change."),
		snapshots:     counter("snapshots_total", "Snapshots taken or installed."),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "raftkv", Name: "requests_total",
			Help: "Client requests by op and outcome.", ConstLabels: labels}, []string{"op", "outcome"}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "raftkv", Name: "fsync_duration_seconds",
			Help: "Latency of write-ahead log fsyncs.", ConstLabels: labels,
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		readyEntries: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "raftkv", Name: "ready_entries",
			Help: "Entries persisted per Ready (the group-commit batch size).", ConstLabels: labels,
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		term:         gauge("term", "Current Raft term."),
		commitIndex:  gauge("commit_index", "Highest log index known committed."),
		appliedIndex: gauge("applied_index", "Highest log index applied."),
		isLeader:     gauge("is_leader", "1 when this node is the leader."),
	}
	m.registry.MustRegister(m.proposals, m.proposalsFail, m.applied, m.reads, m.requests, m.leaderChanges,
		m.snapshots, m.fsync, m.readyEntries, m.term, m.commitIndex, m.appliedIndex, m.isLeader)
	return m
}
