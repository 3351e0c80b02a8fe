// Package window is the fourth pipeline stage (load → filter → discretize →
// window → train → evaluate): it cuts every host's flow codes into sliding
// windows of Size codes, Stride apart, as views into the code column.
//
// A host with too few flows for one window is Insufficient: it is reported,
// not an error, and later kept out of the ROC.
package window
