//go:build !linux

package load

import "os"

// mmapInput declines on platforms without the linux mmap/madvise calls;
// plain files are then streamed like compressed ones.
func mmapInput(f *os.File) (*input, bool, error) { return nil, false, nil }
