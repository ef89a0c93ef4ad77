package raftkv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/faultline/faultline/impl/raft"
)

// A WAL record is a length-prefixed, checksummed body:
//
//	[0:4] little-endian uint32 length of the body
//	[4:8] little-endian uint32 CRC-32C (Castagnoli) of the body
//	[8:]  body: one byte of record type, then the payload
//
// CRC-32C is what etcd's WAL and ext4 use: hardware-accelerated on amd64
// and arm64, and it catches torn and bit-flipped records.

// recordHeaderSize is the length and checksum in front of every record.
const recordHeaderSize = 8

// maxRecordSize bounds a body so that a corrupt length cannot make the
// reader allocate gigabytes. Entries are client commands of a few bytes;
// 64 MiB leaves room for large batches.
const maxRecordSize = 64 << 20

// recordType tells what a record's payload holds.
type recordType uint8

const (
	recordEntry     recordType = 1 // a raft.Entry
	recordHardState recordType = 2 // a raft.HardState
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Decoding failures. errShortRecord means the buffer ends inside the
// record; the others mean the bytes are not a valid record.
var (
	errShortRecord = errors.New("record extends past the end of the data")
	errBadLength   = errors.New("record length out of range")
	errChecksum    = errors.New("record checksum mismatch")
	errBadPayload  = errors.New("record payload malformed")
)

// record is one decoded WAL record.
type record struct {
	typ       recordType
	entry     raft.Entry
	hardState raft.HardState
}

// appendEntryRecord appends e as a record to buf.
func appendEntryRecord(buf []byte, e raft.Entry) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, recordHeaderSize)...)
	buf = append(buf, byte(recordEntry))
	buf = binary.LittleEndian.AppendUint64(buf, e.Term)
	buf = binary.LittleEndian.AppendUint64(buf, e.Index)
	buf = append(buf, byte(e.Type))
	buf = append(buf, e.Data...)
	return sealRecord(buf, start)
}

// appendHardStateRecord appends hs as a record to buf.
func appendHardStateRecord(buf []byte, hs raft.HardState) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, recordHeaderSize)...)
	buf = append(buf, byte(recordHardState))
	buf = binary.LittleEndian.AppendUint64(buf, hs.Term)
	buf = binary.LittleEndian.AppendUint64(buf, hs.Commit)
	buf = append(buf, hs.Vote...)
	return sealRecord(buf, start)
}

// sealRecord fills in the header of the record that starts at start.
func sealRecord(buf []byte, start int) []byte {
	body := buf[start+recordHeaderSize:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(body, crcTable))
	return buf
}

// decodeRecord decodes the record at the start of buf and returns it with
// its encoded size. Entry data aliases buf; copy it before reusing buf.
func decodeRecord(buf []byte) (record, int, error) {
	if len(buf) < recordHeaderSize {
		return record{}, 0, errShortRecord
	}
	n := binary.LittleEndian.Uint32(buf)
	if n == 0 || n > maxRecordSize {
		return record{}, 0, fmt.Errorf("%w: %d bytes", errBadLength, n)
	}
	size := recordHeaderSize + int(n)
	if len(buf) < size {
		return record{}, 0, errShortRecord
	}
	body := buf[recordHeaderSize:size]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(buf[4:]) {
		return record{}, size, errChecksum
	}
	rec, err := decodeBody(body)
	return rec, size, err
}

// decodeBody decodes a checksummed record body.
func decodeBody(body []byte) (record, error) {
	typ, p := recordType(body[0]), body[1:]
	switch typ {
	case recordEntry:
		if len(p) < 17 {
			return record{}, fmt.Errorf("%w: entry of %d bytes", errBadPayload, len(p))
		}
		e := raft.Entry{
			Term:  binary.LittleEndian.Uint64(p),
			Index: binary.LittleEndian.Uint64(p[8:]),
			Type:  raft.EntryType(p[16]),
		}
		if len(p) > 17 {
			e.Data = p[17:]
		}
		return record{typ: typ, entry: e}, nil
	case recordHardState:
		if len(p) < 16 {
			return record{}, fmt.Errorf("%w: hard state of %d bytes", errBadPayload, len(p))
		}
		hs := raft.HardState{
			Term:   binary.LittleEndian.Uint64(p),
			Commit: binary.LittleEndian.Uint64(p[8:]),
			Vote:   string(p[16:]),
		}
		return record{typ: typ, hardState: hs}, nil
	}
	return record{}, fmt.Errorf("%w: unknown record type %d", errBadPayload, typ)
}
