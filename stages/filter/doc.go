// Package filter is the second pipeline stage (load → filter → discretize →
// window → train → evaluate): it keeps or drops flows by their CTU-13 label
// and maps labels to the classes botnet, normal and background.
//
// A pattern matches a label exactly, or by prefix when it ends with '*'
// ("flow=Background*" matches every binetflow background label). Params.Keep
// is cheap enough to be pushed down into the loader, so dropped lines never
// become Arrow rows; Run applies the same predicate to a loaded record.
package filter
