// Package plural writes counts: "1 flow", "2 flows". It is report.Count's
// implementation, in a package of its own so that the stages (which
// package report imports) count with it too.
package plural

import (
	"fmt"
	"strings"
)

// Count is n and noun, plural unless n is 1: "1 point", "2 points",
// "2 entries", "3 data-file hashes".
func Count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	case strings.HasSuffix(noun, "sh") || strings.HasSuffix(noun, "s"):
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
