package history

import "strconv"

// lineParser parses history lines, most of them without reflection.
//
// encoding/json costs about 2 µs and a dozen allocations a line, which
// made reading a 400,000-line history slower than checking it. Almost
// every line a recorder writes has one shape: a flat object whose keys are
// exactly the field names, ASCII strings without escapes, integers, and a
// value made of plain tokens. parseFast reads that shape by hand and
// reports ok=false for anything else; parseLine then falls back to
// encoding/json, which stays the definition of what a line means
// (FuzzParseFast checks that the two agree on every line the fast path
// accepts).
type lineParser struct {
	strs  map[string]string // interned f, key, type, error and node strings
	arena []byte            // backing store for values
	// Storage the fast path points rawOp's fields at, to avoid allocating.
	index, time int64
	process     int
}

const (
	maxInterned = 1 << 16
	arenaChunk  = 64 << 10
	maxDepth    = 64
)

func newLineParser() *lineParser {
	return &lineParser{strs: map[string]string{}}
}

func (p *lineParser) intern(b []byte) string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.strs) < maxInterned {
		p.strs[s] = s
	}
	return s
}

// keep copies b into the arena; the result's capacity ends with it, so an
// append to it cannot clobber a neighbour.
func (p *lineParser) keep(b []byte) []byte {
	if len(b) > cap(p.arena)-len(p.arena) {
		p.arena = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return p.arena[start:len(p.arena):len(p.arena)]
}

// parseFast parses the common shape of a line into r, or reports false.
func (p *lineParser) parseFast(line []byte, r *rawOp) bool {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipWS(line, i+1)
	var seen uint16
	if i < len(line) && line[i] == '}' {
		return false // an empty object has no index: let encoding/json say so
	}
	for {
		kStart, kEnd, ok := plainString(line, i)
		if !ok {
			return false
		}
		field := fieldOf(line[kStart:kEnd])
		if field < 0 || seen&(1<<field) != 0 {
			return false // unknown (json matches keys case-insensitively) or repeated
		}
		seen |= 1 << field
		i = skipWS(line, kEnd+1)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		i = skipWS(line, i+1)
		if i, ok = p.fieldValue(line, i, field, r); !ok {
			return false
		}
		i = skipWS(line, i)
		if i >= len(line) {
			return false
		}
		if line[i] == '}' {
			return skipWS(line, i+1) == len(line)
		}
		if line[i] != ',' {
			return false
		}
		i = skipWS(line, i+1)
	}
}

// The fields of a line, as bit positions.
const (
	fIndex = iota
	fTime
	fProcess
	fType
	fF
	fKey
	fValue
	fError
	fNode
)

func fieldOf(k []byte) int {
	switch string(k) {
	case "index":
		return fIndex
	case "time":
		return fTime
	case "process":
		return fProcess
	case "type":
		return fType
	case "f":
		return fF
	case "key":
		return fKey
	case "value":
		return fValue
	case "error":
		return fError
	case "node":
		return fNode
	}
	return -1
}

func (p *lineParser) fieldValue(line []byte, i, field int, r *rawOp) (int, bool) {
	switch field {
	case fIndex, fTime, fProcess:
		end := i
		if end < len(line) && line[end] == '-' {
			end++
		}
		for end < len(line) && line[end] >= '0' && line[end] <= '9' {
			end++
		}
		n, err := strconv.ParseInt(string(line[i:end]), 10, 64)
		if err != nil || !plainInt(line[i:end]) {
			return 0, false
		}
		switch field {
		case fIndex:
			p.index, r.Index = n, &p.index
		case fTime:
			p.time, r.Time = n, &p.time
		default:
			if int64(int(n)) != n {
				return 0, false
			}
			p.process, r.Process = int(n), &p.process
		}
		return end, true
	case fValue:
		end, ok := skipValue(line, i, 0)
		if !ok {
			return 0, false
		}
		if string(line[i:end]) != "null" {
			r.Value = p.keep(line[i:end])
		}
		return end, true
	}
	start, end, ok := plainString(line, i)
	if !ok {
		return 0, false
	}
	s := p.intern(line[start:end])
	switch field {
	case fType:
		r.Type = Type(s)
	case fF:
		r.F = s
	case fKey:
		r.Key = s
	case fError:
		r.Error = s
	case fNode:
		r.Node = s
	}
	return end + 1, true
}

// plainInt reports whether b is a JSON integer: an optional minus and
// digits without a leading zero.
func plainInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	return len(b) == 1 || len(b) > 1 && b[0] != '0'
}

// plainString finds a string at line[i] made of printable ASCII without
// escapes: the contents are line[start:end] and line[end] is the closing
// quote.
func plainString(line []byte, i int) (start, end int, ok bool) {
	if i >= len(line) || line[i] != '"' {
		return 0, 0, false
	}
	for j := i + 1; j < len(line); j++ {
		switch c := line[j]; {
		case c == '"':
			return i + 1, j, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// skipValue finds the end of the JSON value at line[i], for values made of
// plain strings, numbers, literals, arrays and objects.
func skipValue(line []byte, i, depth int) (int, bool) {
	if i >= len(line) || depth > maxDepth {
		return 0, false
	}
	switch c := line[i]; {
	case c == '"':
		_, end, ok := plainString(line, i)
		return end + 1, ok
	case c == 'n':
		return literal(line, i, "null")
	case c == 't':
		return literal(line, i, "true")
	case c == 'f':
		return literal(line, i, "false")
	case c == '-' || c >= '0' && c <= '9':
		return number(line, i)
	case c == '[':
		return container(line, i, depth, ']', false)
	case c == '{':
		return container(line, i, depth, '}', true)
	}
	return 0, false
}

func literal(line []byte, i int, word string) (int, bool) {
	end := i + len(word)
	return end, end <= len(line) && string(line[i:end]) == word
}

// number finds the end of a JSON number at line[i].
func number(line []byte, i int) (int, bool) {
	j := i
	if line[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(line) && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		return j - k
	}
	if j < len(line) && line[j] == '0' {
		j++
	} else if digits() == 0 {
		return 0, false
	}
	if j < len(line) && line[j] == '.' {
		j++
		if digits() == 0 {
			return 0, false
		}
	}
	if j < len(line) && (line[j] == 'e' || line[j] == 'E') {
		j++
		if j < len(line) && (line[j] == '+' || line[j] == '-') {
			j++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	return j, true
}

// container finds the end of an array or object at line[i].
func container(line []byte, i, depth int, closing byte, object bool) (int, bool) {
	j := skipWS(line, i+1)
	if j < len(line) && line[j] == closing {
		return j + 1, true
	}
	for {
		if object {
			_, end, ok := plainString(line, j)
			if !ok {
				return 0, false
			}
			j = skipWS(line, end+1)
			if j >= len(line) || line[j] != ':' {
				return 0, false
			}
			j = skipWS(line, j+1)
		}
		end, ok := skipValue(line, j, depth+1)
		if !ok {
			return 0, false
		}
		j = skipWS(line, end)
		if j >= len(line) {
			return 0, false
		}
		if line[j] == closing {
			return j + 1, true
		}
		if line[j] != ',' {
			return 0, false
		}
		j = skipWS(line, j+1)
	}
}

func skipWS(line []byte, i int) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r') {
		i++
	}
	return i
}
