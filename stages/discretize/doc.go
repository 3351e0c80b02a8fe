// Package discretize is the third pipeline stage (load → filter → discretize
// → window → train → evaluate): it turns every flow of the listed hosts into
// one integer symbol, the flow code.
//
// Each feature maps a flow to a digit v_f in [0, |M_f|). A numeric feature
// bins a column by cut points: percentiles of the fit flows (kind
// percentile), the spec's own (cuts), or the midpoints between the sorted
// centres of a 1-D k-means of the fit flows (kmeans; Lloyd's algorithm
// from the (j+½)/k quantiles, so deterministic without a seed, or with
// Feature.Seed from a k-means++ seeding drawn from PCG(seed, a fixed
// stream), deterministic for a seed). Its bin
// rule is Feature.Right: by default v is in bin i when cut_i-1 ≤ v <
// cut_i (numpy's digitize), with Right when cut_i-1 < v ≤ cut_i. A
// category feature looks a column's value up in a table fitted on the fit
// flows, or in a fixed table (Categories) with a policy for values outside
// it (Unseen: error, an extra digit, or drop the flow before windowing).
// The fit flows are the profiled hosts' (Profile, MoreProfiles: the
// pipeline puts a fit_on host list there) or, with FitOn all, every listed
// host's. Derived columns (package derive) are the pipeline's derive
// stage's output, appended to the flows before this stage runs. The digits are
// combined by the mixed-radix rule of the notebook the project starts
// from:
//
//	code = Σ_f v_f · Π_{g after f} |M_g|
//
// The fitted cut points and tables form a Mapping, saved with the results.
//
// Params.Compat selects the notebook's own arithmetic instead of the
// correct one, so that its published numbers can be reproduced; see
// CompatNotebook and CompatNotebookList.
package discretize
