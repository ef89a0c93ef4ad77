package raftkv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/faultline/faultline/impl/raft"
)

// snapFileName is the latest snapshot inside the data directory. Only the
// latest is kept: it is replaced atomically (temporary file, fsync,
// rename, fsync of the directory).
const snapFileName = "snapshot"

// snapMagic starts every snapshot file, so that a wrong file is named as
// such instead of failing a checksum.
const snapMagic = "FLSNAP01"

// saveSnapshot writes snap to dir atomically.
func saveSnapshot(dir string, snap raft.Snapshot) error {
	if err := writeFileAtomic(filepath.Join(dir, snapFileName), encodeSnapshot(snap)); err != nil {
		return fmt.Errorf("saving snapshot at index %d: %w", snap.Meta.Index, err)
	}
	return nil
}

// loadSnapshot reads the snapshot in dir; none is the empty snapshot.
func loadSnapshot(dir string) (raft.Snapshot, error) {
	path := filepath.Join(dir, snapFileName)
	_ = os.Remove(path + ".tmp") // an unfinished save; the old file is intact
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return raft.Snapshot{}, nil
	}
	if err != nil {
		return raft.Snapshot{}, fmt.Errorf("reading snapshot: %w", err)
	}
	snap, err := decodeSnapshot(data)
	if err != nil {
		return raft.Snapshot{}, fmt.Errorf("%w: %s: %v; restore the data directory or remove it to rejoin empty", ErrCorrupt, path, err)
	}
	return snap, nil
}

// encodeSnapshot lays out: magic, CRC-32C of the rest, then index, term,
// the peers (count, then length-prefixed ids) and the state machine data.
func encodeSnapshot(snap raft.Snapshot) []byte {
	buf := append([]byte(snapMagic), 0, 0, 0, 0)
	buf = binary.AppendUvarint(buf, snap.Meta.Index)
	buf = binary.AppendUvarint(buf, snap.Meta.Term)
	buf = binary.AppendUvarint(buf, uint64(len(snap.Meta.Peers)))
	for _, p := range snap.Meta.Peers {
		buf = appendString(buf, p)
	}
	buf = append(buf, snap.Data...)
	binary.LittleEndian.PutUint32(buf[len(snapMagic):], crc32.Checksum(buf[len(snapMagic)+4:], crcTable))
	return buf
}

func decodeSnapshot(data []byte) (raft.Snapshot, error) {
	head := len(snapMagic) + 4
	if len(data) < head || string(data[:len(snapMagic)]) != snapMagic {
		return raft.Snapshot{}, errors.New("not a snapshot file (bad magic)")
	}
	if crc32.Checksum(data[head:], crcTable) != binary.LittleEndian.Uint32(data[len(snapMagic):]) {
		return raft.Snapshot{}, errors.New("snapshot checksum mismatch")
	}
	d := decoder{buf: data[head:]}
	var snap raft.Snapshot
	snap.Meta.Index = d.uvarint()
	snap.Meta.Term = d.uvarint()
	n := d.count()
	for range n {
		snap.Meta.Peers = append(snap.Meta.Peers, d.string())
	}
	if d.err != nil {
		return raft.Snapshot{}, fmt.Errorf("snapshot header: %w", d.err)
	}
	snap.Data = d.buf
	return snap, nil
}
