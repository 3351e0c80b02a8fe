package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A folder ls cannot read must not make it fail for the whole tree: it is
// listed as unreadable beside the good runs. The folder here is one whose
// path is longer than PATH_MAX (ENAMETOOLONG), which even root cannot
// open; another user's 0700 folder fails the same way for everyone else.
func TestListUnreadableFolder(t *testing.T) {
	root := t.TempDir()
	copyDir(t, "testdata/runs/a", filepath.Join(root, "toy", "20261127T050102.000Z"))
	fd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("d", 200)
	for range 4200 / len(name) {
		if err := syscall.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := syscall.Openat(fd, name, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		syscall.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	syscall.Close(fd) // os.RemoveAll, which TempDir's cleanup runs, removes it through descriptors

	var out bytes.Buffer
	if err := List(root, &out); err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, want := range []string{"toy/20261127T050102.000Z", "complete", "unreadable: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ls output lacks %q:\n%s", want, out.String())
		}
	}
}
