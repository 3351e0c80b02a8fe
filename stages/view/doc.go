// Package view is the step between filter and discretize (load → filter →
// view → discretize → window → train → evaluate) that decides which flows
// are a host's. It assembles one flow table from one or more loaded
// sources, naming every row after the host it belongs to:
//
//   - Sources: each loaded file is a named source; with Namespace set a
//     host is written "source:address" (s11:147.32.84.165), so that two
//     captures that reuse an address keep their hosts apart.
//   - View: a host's flows are the ones it sends (src, the notebook's and
//     the default), the ones it receives (dst), or both. Under both, a flow
//     between two listed hosts is a row of each. CTU-13's unidirectional
//     NetFlow files list each direction of a connection as its own flow, so
//     there "src" already sees the host's replies as flows of the peer and
//     "both" counts a connection's two directions for each endpoint; the
//     bidirectional binetflow files list a connection once.
//   - Split: a profiled host's flows are cut into a training part, which
//     keeps the host's name, and a held-out part named "host@test" (see
//     TestSuffix) that is scored like any other host. By time, flows that
//     start before At are training flows; by fraction, the first
//     ⌊At·n⌋ of the host's n flows in time order are.
//
// The output has the columns discretize reads (line, start_time, the
// feature columns) with src_addr holding the host's name. Rows keep each
// source's file order, sources in Params order. The step is cheap (a
// gather of the listed hosts' rows) and its output is not cached on its
// own: the pipeline runs it inside the discretize stage, whose cache key
// includes every source's load key and these Params.
package view
