package checker

import (
	"container/heap"
	"sort"

	"github.com/anishathalye/porcupine"
)

// assignLanes sets each operation's ClientId to a lane: the row it gets
// in porcupine's visualization, which draws one row per ClientId up to
// the largest. Process ids grow with every info (Jepsen's process rule), so
// they would waste rows; a lane is reused once its operation returned.
// The process stays in the operation's metadata.
func assignLanes(ops []porcupine.Operation) {
	order := make([]int, len(ops))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ops[order[a]].Call < ops[order[b]].Call })
	var busy busyLanes
	var free freeLanes
	next := 0
	for _, i := range order {
		for len(busy) > 0 && busy[0].until < ops[i].Call {
			heap.Push(&free, heap.Pop(&busy).(busyLane).lane)
		}
		lane := next
		if len(free) > 0 {
			lane = heap.Pop(&free).(int)
		} else {
			next++
		}
		ops[i].ClientId = lane
		heap.Push(&busy, busyLane{until: ops[i].Return, lane: lane})
	}
}

type busyLane struct {
	until int64
	lane  int
}

type busyLanes []busyLane

func (h busyLanes) Len() int           { return len(h) }
func (h busyLanes) Less(i, j int) bool { return h[i].until < h[j].until }
func (h busyLanes) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *busyLanes) Push(x any)        { *h = append(*h, x.(busyLane)) }
func (h *busyLanes) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type freeLanes []int

func (h freeLanes) Len() int           { return len(h) }
func (h freeLanes) Less(i, j int) bool { return h[i] < h[j] }
func (h freeLanes) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *freeLanes) Push(x any)        { *h = append(*h, x.(int)) }
func (h *freeLanes) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
