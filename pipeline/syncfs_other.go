//go:build !linux

package pipeline

// syncFS reports that the system has no syncfs: syncTree flushes file by
// file.
func syncFS(dir string) (done bool, err error) { return false, nil }
