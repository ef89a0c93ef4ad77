package nemesis

import (
	"fmt"
	"strings"
)

// Link is a directed connection: From opens TCP connections to To. Each
// link has its own proxy. A link whose From is not one of the nemesis's
// nodes (for example "client") is a client link; node→node links are node
// links.
type Link struct {
	From, To string
}

// String is the link's name, "from->to", which is also the proxy name
// (after the Net's run prefix).
func (l Link) String() string { return l.From + "->" + l.To }

// ParseLink parses "from->to".
func ParseLink(s string) (Link, error) {
	from, to, ok := strings.Cut(s, "->")
	if !ok || from == "" || to == "" || strings.Contains(to, "->") {
		return Link{}, fmt.Errorf("link %q is not of the form from->to", s)
	}
	return Link{From: from, To: to}, nil
}

// Stream directions of a toxic, as Toxiproxy names them: upstream is the
// data from the connecting side (From) to the server (To); downstream is
// the replies.
const (
	Upstream   = "upstream"
	Downstream = "downstream"
	Both       = "both"
)

// streams expands a direction into Toxiproxy's stream names.
func streams(direction string) []string {
	if direction == Both {
		return []string{Upstream, Downstream}
	}
	return []string{direction}
}
