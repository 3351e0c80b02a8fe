// Package hmm is botprof's hidden Markov model engine: pure numerics (no
// Arrow, YAML or files) that reproduce hmmlearn 0.3.3's GaussianHMM and
// CategoricalHMM number for number, faster.
//
// In the pipeline load → filter → discretize → window → train → evaluate,
// stages/train fits a model on the profiled host's windows with Train, and
// stages/evaluate scores every host with Model.Decode and Model.Score, or,
// for a host given as one sequence of windows, Model.DecodeAndScoreFrames.
//
// # Models
//
// K hidden states, start probabilities π (K), transitions A (K×K, row =
// from-state) and emissions: Gaussian (hmmlearn GaussianHMM; covariance
// diag, spherical, full or tied) or Categorical (hmmlearn CategoricalHMM;
// D = 1, integer symbols in [0, S)). Sequences holds several sequences in
// one row-major slice; each starts from π (hmmlearn's lengths).
// ScoreFrames splits Score by row into the forward increments
// log P(x_t | x_<t), −∞ after a row of zero probability.
//
// Train initialises Restarts models from seeds Seed, Seed+1, … like
// hmmlearn's _init (π and rows of A ~ Dirichlet(1/K); k-means++ means;
// np.cov(X) + MinCovar covariances; uniform random categorical emissions),
// with math/rand/v2 PCG streams instead of numpy's generator, runs
// Baum–Welch on each and keeps the highest final log-likelihood (ties: the
// lowest restart). Results never depend on Workers: statistics are summed
// in sequence order. Config's defaults are hmmlearn's (n_iter 10, tol 0.01
// on the signed gain, min_covar 1e-3, covars_prior 0.01, other priors 1 or
// 0); the E- and M-steps use hmmlearn's expressions (testdata/ALGORITHM.md),
// including the cancellation-prone variance update and the 1e-5 floor.
// fixture_test.go reproduces the 17 hmmlearn fixtures in testdata/hmmlearn.
//
// # Files
//
//	model.go     Model, its methods and the operations behind them
//	passes.go    work buffers, pass: the one ladder every operation uses; Viterbi
//	scaled.go    rung 1: scaled recursions on exp(b − max b); categorical p_t from tables
//	logspace.go  rung 2: log-space recursions with K exps per frame, never declining; expNeg, logFast
//	scaling.go   hmmlearn's implementation="scaling", ErrUnderflow included
//	emission.go  emission densities and sufficient statistics
//	em.go        E-step over sequences, Baum–Welch; fit.go the M-steps
//	init.go      initialisation (means from package kmeans); train.go Config, Train
//
// pass (passes.go) tries the scaled rung and falls back to the log-space
// one. Both are exact to rounding; the scaled rung is several times faster
// and declines whenever a positive quantity may have underflowed, which
// happens on degenerate data (tiny variances, as on botnet windows). Both
// rungs copy frames in runs of identical rows instead of recomputing them,
// which keeps such data fast on either. The log-space rung uses expNeg and
// logFast (within 2 ulp).
//
// # Where botprof departs from hmmlearn
//
//   - A state never entered keeps its mean (and a full/tied covariance
//     whose denominator is 0); hmmlearn divides 0/0 and turns NaN.
//   - A start vector, transition row or emission row whose MAP update sums
//     to 0 keeps its previous value.
//   - A sequence of zero probability is an error in training and in
//     Posteriors; hmmlearn returns NaN.
//   - Run.Converged is true only when the tolerance stopped the run, and
//     Run.FinalLogLik scores the returned parameters (hmmlearn's score
//     after fit), which is what Train compares across restarts.
//   - Data are float64 (hmmlearn squares integer input in its own type).
//   - A spherical initial variance that is not positive is replaced by the
//     mean of the diagonal; with a single row the data covariance is 0.
//   - Viterbi breaks ties like hmmlearn. hmmlearn's decode(algorithm="map")
//     is left to the caller (argmax of Posteriors; fixture_test.go checks it).
package hmm
