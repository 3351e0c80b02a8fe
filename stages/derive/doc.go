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
// The columns are float64, computed in one pass over the rows. The
// pipeline runs derive as its own stage, for the points whose features
// name a derived column: its cache key holds Params (the columns, in
// feature order), Version and the keys of the flows it reads (the load
// entries, and the view step's Params when the point has one), and its
// entry holds Result.Columns (the flows' line column and the derived
// columns, Arrow IPC), not the flows again. The discretize stage's key
// names derive's as an input; when discretize runs it appends the columns
// to its flows with Attach, which checks the lines match row for row. So a
// change in how a derived feature is binned reads the derived columns
// back, and a change in the derived columns re-runs derive and what
// follows (load too only when they need other flow columns).
package derive
