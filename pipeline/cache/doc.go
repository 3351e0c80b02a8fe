// Package cache is botprof's content-addressed stage cache.
//
// Every stage of the pipeline (load → filter → discretize → window → train →
// evaluate) stores its output here under a Key: the SHA-256 of a plain-text
// description of everything that influences the result — the cache format
// version, the stage name and version, the stage's canonical parameters, the
// keys of its inputs and, for load, the input file's sha256. Two runs that
// describe a stage the same way share its output; any change to the
// description is a different key. A stage must therefore describe everything
// its output depends on, and bump its version when its code changes the
// output for the same parameters.
//
// The design follows Go's build cache (cmd/go/internal/cache) and DVC's run
// cache:
//
//   - An entry is a directory <dir>/<id[:2]>/<id>/ holding named files and a
//     meta.json listing each file's size and sha256 and the key description.
//   - Put writes into a temporary directory inside the cache, writes
//     meta.json last and renames the directory into place. Two writers of the
//     same key both succeed: the loser discards its copy. Correctness needs
//     no locks; Claim (an flock per key) only keeps processes sharing the
//     cache from computing the same output at once.
//     Nothing is fsynced: a killed process leaves no partial entry (the
//     rename is atomic), and an entry torn by a power loss fails Get's size
//     or sha256 check like any other damage. An fsync took up to 30 ms
//     each, five entries per cold run, and slowed every file creation of
//     the run while the journal committed.
//   - Get verifies meta.json, sizes and sha256 of every file. A corrupt,
//     partial or foreign entry is a miss with a reason, never an error or a
//     wrong result.
//   - A hit refreshes meta.json's mtime (at most hourly), which GC uses to
//     remove entries not used for a while.
//   - Explain remembers, per stage identity, the last key description used, so
//     a re-run can say which parameter or input changed.
//   - filehash/ holds the runner's memo of each data file's sha256
//     (FileHashPath). List and Verify skip it, the explain records and
//     locks/ (Claim); GC ages the first two by mtime and removes lock files
//     nobody holds.
//
// Tabular stage outputs (flows, codes, window index) are uncompressed Arrow
// IPC files written by WriteArrow: writing one is a copy of the record's
// buffers and reading one needs no decoding, which keeps the cache off a cold
// run's critical path. Equal records give byte-identical files, which
// pyarrow, pandas (read_feather), polars (read_ipc) and duckdb open.
// WriteParquet, with pinned writer properties, writes the results folder's
// scores.parquet.
package cache
