//go:build !unix

package cache

import "os"

// openRead opens a file for reading (see open_unix.go).
func openRead(path string) (*os.File, error) { return os.Open(path) }
