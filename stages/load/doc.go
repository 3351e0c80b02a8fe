// Package load is the first stage of the botprof pipeline
// (load → filter → discretize → window → train → evaluate): it reads a CTU-13
// flow file and returns its flows as one Arrow record with schema [Schema].
//
// Two formats are read, detected from the header line (see [Detect]):
//
//   - "netflow": unidirectional argus NetFlow text (*.netflow.labeled).
//     Fields are separated by any run of spaces or tabs; the start time is
//     two fields ("2011-08-18 10:19:13.328"); endpoints are "ip:port", or a
//     bare address when the flow has no port (ICMP, ARP).
//   - "binetflow": bidirectional CSV (*.binetflow) with the 15 columns
//     StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,
//     TotPkts,TotBytes,SrcBytes,Label. Ports may be hex ("0x0303"), Dir is
//     space-padded ("   ->") and is trimmed, empty nullable fields are null.
//
// Input may be plain, gzip or zstd, recognised by magic bytes. Plain files
// are memory-mapped; compressed files are decompressed as a stream in
// blocks. Either way the text is cut into chunks at line boundaries that are
// parsed on all cores and concatenated in file order, so the result does not
// depend on the number of workers, and peak memory grows with the kept rows,
// not with the file.
//
// Projection: [Params.Columns] names the columns to return (line is always
// kept). Every line's fields are still counted, but only the asked-for
// values are parsed, and so checked; the pipeline asks for start_time,
// src_addr and its feature columns.
//
// Hashing: with [Options.SHA256], the blocks the parsers read are also fed,
// in order, to a sha256 on a goroutine of its own, so a file seen for the
// first time is read and decompressed once.
//
// Label filter pushdown: the label is the last field of a line, so
// [Options.Keep] is asked about it before any other field is parsed; a
// filtered line costs a newline search and a short backward scan. A
// consequence: a malformed line whose last field Keep rejects is counted as
// Filtered, not Bad; only lines that would be kept are checked.
//
// Times are stored as written, tagged UTC: the CTU-13 files carry the
// capture's local clock (CEST) without a zone, and every consumer compares
// times within one file only.
//
// IPv6 endpoints in NetFlow text are ambiguous ("ff02::1:3:5355" is an
// address with or without a port). The rule used: an endpoint with one colon
// is "ipv4:port"; "[addr]:port" is split at "]:"; any other endpoint with
// several colons (IPv6 or a MAC address) carries a port after its last colon
// only when the protocol is one that argus prints ports for (TCP, UDP, SCTP,
// UDT, RTP, RTCP); otherwise the whole field is the address.
//
// A line that cannot be parsed is never dropped silently: with OnBadLine
// "fail" Run returns "path:LINE: reason"; with "skip" it is counted and the
// first 100 are kept in [Stats.BadLines]. Blank lines are ignored. The first
// line is always the header; data lines are numbered from 2.
package load
