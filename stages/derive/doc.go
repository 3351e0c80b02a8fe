// Package derive adds derived flow columns that discretize features can
// bin (load → filter → view → derive → discretize → window → train →
// evaluate):
//
//   - bytes_per_packet = bytes / packets
//   - bytes_per_second = bytes / duration
//   - interarrival = seconds since the same host's previous flow (time
//     order, ties by line); a host's first flow has 0
//   - ratio(a,b) = a / b for two numeric columns a and b
//
// Division by zero: 0/0 is 0, and a zero denominator otherwise counts as
// one unit of its column (1 for counts such as packets and bytes, 1 µs
// for duration, whose resolution in CTU-13 files is a microsecond), so a
// one-packet flow of duration 0 sending 60 bytes has 6e7 bytes per second.
// A null operand, and a quotient too large for a float64 (a subnormal
// denominator), are errors naming the line.
//
// The columns are float64, computed in one pass over the rows; the
// pipeline runs the step inside the discretize stage (its features name
// the columns, so they are part of its cache key) rather than caching
// them on their own: they take less time to compute than to read back.
package derive
