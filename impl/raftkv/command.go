package raftkv

import (
	"encoding/binary"
	"fmt"
)

// Op names a client operation.
type Op string

// The operations of the register workload.
const (
	OpRead  Op = "read"
	OpWrite Op = "write"
	OpCAS   Op = "cas"
)

// Request is one client operation as the client library sends it and the
// node executes it. Client and Seq identify it for exactly-once retries:
// resubmitting a write or cas with the same (Client, Seq) applies it at
// most once and answers the first result. Ack is the lowest sequence
// number the client may still retry; results below it are discarded.
// Client 0 means no session (no deduplication).
type Request struct {
	Op     Op     `json:"op"`
	Key    string `json:"key"`
	Value  int64  `json:"value,omitempty"`  // write: the value; cas: the new value
	Expect int64  `json:"expect,omitempty"` // cas: the expected current value
	Client uint64 `json:"client,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
	Ack    uint64 `json:"ack,omitempty"`
}

// Validate reports a request that cannot be executed.
func (r Request) Validate() error {
	switch r.Op {
	case OpRead, OpWrite, OpCAS:
	default:
		return fmt.Errorf("unknown op %q: want read, write or cas", r.Op)
	}
	if r.Key == "" {
		return fmt.Errorf("empty key")
	}
	return nil
}

// command is a write or cas as it is stored in a log entry, with the tag
// the proposing node uses to find the waiting caller.
type command struct {
	Request
	Tag uint64
}

var opCodes = map[Op]byte{OpWrite: 1, OpCAS: 2}

func encodeCommand(c command) []byte {
	buf := make([]byte, 0, 48+len(c.Key))
	buf = append(buf, opCodes[c.Op])
	buf = binary.AppendUvarint(buf, c.Tag)
	buf = binary.AppendUvarint(buf, c.Client)
	buf = binary.AppendUvarint(buf, c.Seq)
	buf = binary.AppendUvarint(buf, c.Ack)
	buf = binary.AppendVarint(buf, c.Value)
	buf = binary.AppendVarint(buf, c.Expect)
	return appendString(buf, c.Key)
}

func decodeCommand(data []byte) (command, error) {
	d := decoder{buf: data}
	var c command
	switch code := d.byte(); code {
	case 1:
		c.Op = OpWrite
	case 2:
		c.Op = OpCAS
	default:
		return command{}, fmt.Errorf("decoding command: unknown op code %d", code)
	}
	c.Tag = d.uvarint()
	c.Client = d.uvarint()
	c.Seq = d.uvarint()
	c.Ack = d.uvarint()
	c.Value = d.varint()
	c.Expect = d.varint()
	c.Key = d.string()
	if d.err != nil {
		return command{}, fmt.Errorf("decoding command: %w", d.err)
	}
	return c, nil
}
