// Package window is the fourth pipeline stage (load → filter → discretize →
// window → train → evaluate): it cuts every host's flow codes into windows,
// views into the code column, in one of two ways:
//
//   - by count (Size, Stride): sliding windows of Size codes, Stride apart;
//   - by time (Span, MinFlows): consecutive windows, each starting at the
//     first flow not in an earlier one and holding every flow of the host
//     that starts less than Span after it (start times in µs, the host's
//     flows in time order as discretize returns them). Windows of fewer
//     than MinFlows flows are left out and their flows not reused. E.g. a
//     span of 5 ms over flows at 0 1 2 10 11 30 50 51 52 53 ms gives
//     [0 1 2] [10 11] [30] [50 51 52 53]; MinFlows 2 drops [30].
//
// Time windows vary in length, so they feed a model as code sequences
// only (categorical HMM, Markov chain): the spec refuses them with a
// model that reads rows (the Gaussian HMM's size-dimensional rows), and
// train.Inputs refuses them too.
//
// Flows that discretize dropped (unseen: drop) are not in the codes: count
// windows run across the gap they leave, and time windows are cut from
// the remaining start times.
//
// A host with too few flows for one window is Insufficient: it is reported,
// not an error, and later kept out of the ROC.
package window
