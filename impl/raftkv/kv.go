package raftkv

import (
	"encoding/json"
	"fmt"
)

// The state machine: string keys holding int64 registers, plus the client
// sessions that make retried writes exactly-once. Only the node's loop
// goroutine touches it, so it has no lock.

// maxSessions bounds the session table. Beyond it the least recently used
// session is evicted (deterministically, by the log index that last used
// it, so every replica evicts the same one); a client evicted while
// retrying loses exactly-once for that retry.
const maxSessions = 10000

// applyCode is the outcome of applying a command.
type applyCode uint8

const (
	applyOK       applyCode = iota + 1 // written or swapped
	applyMismatch                      // cas: the current value was not the expected one
	applyExpired                       // a retry whose result was already acknowledged and dropped
)

// session is what the state machine remembers of one client.
type session struct {
	AckedBelow uint64               `json:"acked_below"` // results below this seq are gone
	Results    map[uint64]applyCode `json:"results"`     // seq → first result
	LastUsed   uint64               `json:"last_used"`   // log index of the latest command
}

// kvState is the replicated state.
type kvState struct {
	Data     map[string]int64    `json:"data"`
	Sessions map[uint64]*session `json:"sessions"`
}

func newKVState() *kvState {
	return &kvState{Data: map[string]int64{}, Sessions: map[uint64]*session{}}
}

// read returns the value of key; a missing key is absent (found false).
func (s *kvState) read(key string) (int64, bool) {
	v, ok := s.Data[key]
	return v, ok
}

// apply executes c, committed at log index, exactly once per (client, seq).
func (s *kvState) apply(index uint64, c command) applyCode {
	if c.Client == 0 {
		return s.exec(c)
	}
	sess := s.session(c.Client, index)
	if c.Ack > sess.AckedBelow {
		for seq := range sess.Results {
			if seq < c.Ack {
				delete(sess.Results, seq)
			}
		}
		sess.AckedBelow = c.Ack
	}
	if c.Seq < sess.AckedBelow {
		return applyExpired
	}
	if code, ok := sess.Results[c.Seq]; ok {
		return code
	}
	code := s.exec(c)
	sess.Results[c.Seq] = code
	return code
}

// exec applies c to the data.
func (s *kvState) exec(c command) applyCode {
	switch c.Op {
	case OpWrite:
		s.Data[c.Key] = c.Value
		return applyOK
	case OpCAS:
		if v, ok := s.Data[c.Key]; !ok || v != c.Expect {
			return applyMismatch
		}
		s.Data[c.Key] = c.Value
		return applyOK
	}
	panic(fmt.Sprintf("raftkv: exec of op %q", c.Op)) // decodeCommand admits only write and cas
}

// session returns the session of client, creating it (and evicting the
// least recently used one when the table is full).
func (s *kvState) session(client, index uint64) *session {
	sess, ok := s.Sessions[client]
	if !ok {
		if len(s.Sessions) >= maxSessions {
			s.evictOldest()
		}
		sess = &session{Results: map[uint64]applyCode{}}
		s.Sessions[client] = sess
	}
	sess.LastUsed = index
	return sess
}

func (s *kvState) evictOldest() {
	var oldest uint64
	first := true
	for id, sess := range s.Sessions {
		if first || sess.LastUsed < s.Sessions[oldest].LastUsed ||
			(sess.LastUsed == s.Sessions[oldest].LastUsed && id < oldest) {
			oldest, first = id, false
		}
	}
	delete(s.Sessions, oldest)
}

// snapshot serializes the state. JSON keeps snapshots readable with jq;
// they are taken every few thousand entries, so speed matters little.
func (s *kvState) snapshot() ([]byte, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding state machine snapshot: %w", err)
	}
	return data, nil
}

// restoreKVState decodes a snapshot made by snapshot.
func restoreKVState(data []byte) (*kvState, error) {
	s := newKVState()
	if len(data) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("decoding state machine snapshot: %w", err)
	}
	if s.Data == nil {
		s.Data = map[string]int64{}
	}
	if s.Sessions == nil {
		s.Sessions = map[uint64]*session{}
	}
	for _, sess := range s.Sessions {
		if sess.Results == nil {
			sess.Results = map[uint64]applyCode{}
		}
	}
	return s, nil
}
