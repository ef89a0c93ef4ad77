package nemesis

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
)

// slogWriter receives the JSON lines of the Toxiproxy server's zerolog
// logger and hands each to an slog.Logger, so the embedded server logs
// where the rest of the harness does.
type slogWriter struct {
	logger *slog.Logger
}

func (w slogWriter) Write(p []byte) (int, error) {
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(p), &line); err != nil {
		w.logger.Debug("toxiproxy", "line", string(bytes.TrimSpace(p)))
		return len(p), nil
	}
	// Under a nemesis, Toxiproxy's warnings and errors are the faults at
	// work — a connection cut by a heal, an upstream killed on purpose — so
	// they are logged one level lower than Toxiproxy rates them.
	level := slog.LevelDebug
	switch line["level"] {
	case "error":
		level = slog.LevelInfo
	case "fatal", "panic":
		level = slog.LevelError
	}
	msg, _ := line["message"].(string)
	delete(line, "message")
	delete(line, "level")
	attrs := make([]any, 0, 2*len(line))
	for k, v := range line {
		attrs = append(attrs, k, v)
	}
	w.logger.Log(context.Background(), level, "toxiproxy: "+msg, attrs...)
	return len(p), nil
}
