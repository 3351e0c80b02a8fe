// Package kmeans is scikit-learn's KMeans (k-means++ seeding, Lloyd
// iterations, n_init restarts) on rows of float64, deterministic for a
// given random source. It is not a pipeline stage: hmm.InitGaussian uses
// it for the initial means of a Gaussian HMM, as hmmlearn's _init uses
// sklearn.cluster.KMeans. (The discretize stage's 1-D kind: kmeans is a
// different algorithm on sorted values: quantile starts by default, or a
// k-means++ start when the feature has a seed; see stages/discretize.)
//
// Windows of flow codes have few distinct rows, so distances are computed
// once per distinct row; every sum over rows is still taken over all rows
// in row order (or, on integer data whose sums are exact, per distinct row
// times its multiplicity), so the result is bit for bit the one of the
// rows taken one by one. TestDistinctRows checks that.
package kmeans
