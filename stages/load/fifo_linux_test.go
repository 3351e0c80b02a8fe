package load

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A named pipe is refused before it is opened: opening it blocks until a
// writer opens it too, which hung a run on a FIFO given as its data file.
func TestNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: fifo}, Params{})
	if err == nil || !strings.Contains(err.Error(), fifo+" is not a regular file but a named pipe") {
		t.Errorf("Run: %v", err)
	}
	if _, err := SHA256File(context.Background(), fifo); err == nil || !strings.Contains(err.Error(), "not a regular file but a named pipe") {
		t.Errorf("SHA256File: %v", err)
	}
}
