// Package discretize is the third pipeline stage (load → filter → discretize
// → window → train → evaluate): it turns every flow of the listed hosts into
// one integer symbol, the flow code.
//
// Each feature maps a flow to a digit v_f in [0, |M_f|): a percentile
// feature bins a numeric column by cut points fitted on the profiled host
// (or on all listed hosts), a category feature looks a column's value up in
// a fitted table. The digits are combined by the mixed-radix rule of the
// notebook the project starts from:
//
//	code = Σ_f v_f · Π_{g after f} |M_g|
//
// The fitted cut points and tables form a Mapping, saved with the results.
//
// Params.Compat selects the notebook's own arithmetic instead of the
// correct one, so that its published numbers can be reproduced; see
// CompatNotebook and CompatNotebookList.
package discretize
