// Command benchdata writes the benchmark inputs of issue 7, deterministically:
//
//   - capture20110818.bench.netflow.labeled: a NetFlow text file shaped like
//     the real 513 MB scenario-10 file (3,495,425 data rows). It holds the
//     embedded scenario-10 rows of the 16 notebook hosts verbatim, merged in
//     time order with Background rows made from scenario 11's Background
//     flows, rewritten in the NetFlow text layout and tiled over 10:19–15:05.
//   - capture20110818-2.bench.binetflow: the embedded scenario-11 file
//     repeated, each copy shifted in time past the previous one, to about the
//     same size.
//
// Usage: go run ./scripts/benchdata [-out bench/data] [-data data/ctu13]
//
// It prints each file's path, size, rows and sha256.
package main
