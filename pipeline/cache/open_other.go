//go:build !unix

package cache

import "os"

// openRead opens a file for reading (see open_unix.go).
func openRead(path string) (*os.File, error) { return os.Open(path) }

// create creates or truncates the file at path for writing (see
// open_unix.go).
func create(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}
