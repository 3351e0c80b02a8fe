// Package hmm is botprof's hidden Markov model engine: pure numerics (no
// Arrow, YAML or files) that reproduce hmmlearn 0.3.3's GaussianHMM and
// CategoricalHMM number for number, faster.
//
// In the pipeline load → filter → discretize → window → train → evaluate,
// stages/train fits a model on the profiled host's windows with Train and
// stages/evaluate scores every host's windows with Model.Score and
// Model.Decode, or Model.DecodeAndScoreFrames (Decode's log-probabilities
// and ScoreFrames from one computation of the emission densities).
//
// # Models
//
// A model has K hidden states, start probabilities π (K), a transition
// matrix A (K×K, row = from-state) and emissions:
//
//   - Gaussian (hmmlearn GaussianHMM): state j emits x ∈ R^D from N(μ_j, Σ_j)
//     with covariance type diag (Σ_j diagonal), spherical (Σ_j = σ²_j·I),
//     full (any SPD Σ_j) or tied (one SPD Σ for all states).
//   - Categorical (hmmlearn CategoricalHMM): state j emits symbol s ∈ [0, S)
//     with probability E[j, s]; data have D = 1 and integer values.
//
// Sequences holds several sequences in one row-major slice; log-likelihoods
// are per sequence, paths and posteriors concatenated, and each sequence
// starts from π (hmmlearn's lengths).
//
// Model.ScoreFrames splits Score by row: for row t of a sequence it returns
// the forward increment log P(x_t | x_<t) = log Σ_j α_t(j) − log Σ_j α_{t−1}(j)
// (log P(x_0) for the first row), so the rows of a sequence sum to its
// log-likelihood up to rounding. In the scaled recursions this is
// max_j b_t(j) + log s_t (see Numerics), also in the pass with dropped
// states; when both decline, the increments are taken from the exact
// log-space α. After a row of zero probability the
// increments are −∞.
//
// # Training
//
// Train validates a Config, initialises Restarts models from seeds Seed,
// Seed+1, … and runs Baum–Welch on each, returning the model with the highest
// final training log-likelihood (ties: lowest restart index) and a Report
// with every run's convergence record. Fit (or Gaussian.Fit,
// Categorical.Fit with array-valued priors) trains from given parameters.
// Results never depend on Workers: sequences are processed in parallel but
// their statistics are summed in sequence order, a lone sequence's diag
// statistics are split between two goroutines by feature (independent
// sums), and restarts are independent.
//
// Initialisation follows hmmlearn's _init, with math/rand/v2 PCG streams
// instead of numpy's generator (so draws differ, bit for bit, from
// hmmlearn's): π and every row of A ~ Dirichlet(1/K); Gaussian means from
// KMeans (k-means++ seeding, 10 inits, Lloyd, best inertia), covariances
// np.cov(X.T) + MinCovar·I (diag: its diagonal; spherical: the mean of all D²
// entries; full: the matrix for every state; tied: the matrix); categorical
// emission rows uniform random, normalised. KMeans copes with data that are
// nearly all duplicates (botnet windows): seeding never divides by a zero
// potential and empty clusters are re-seeded at the farthest rows. It
// computes distances once per distinct row and keeps every sum over rows in
// row order (or, for integer data, exact), so deduplication changes no bit
// of its result.
//
// # Defaults and their hmmlearn equivalents
//
//	Config field     default  hmmlearn
//	NIter            10       n_iter
//	Tol              0.01     tol (signed gain: a decrease also stops)
//	Implementation   "log"    implementation ("log" | "scaling")
//	MinCovar         1e-3     min_covar (initialisation only, as in hmmlearn)
//	StartprobPrior   1        startprob_prior (Dirichlet α; MAP update max(α−1+n, 0))
//	TransmatPrior    1        transmat_prior
//	MeansPrior       0        means_prior
//	MeansWeight      0        means_weight
//	CovarsPrior      0.01     covars_prior (a scalar is added to every full/tied entry)
//	CovarsWeight     1        covars_weight
//	EmissionPrior    1        emissionprob_prior; > 1 keeps unseen symbols possible
//	Restarts         1        (none in hmmlearn)
//
// The E- and M-steps are hmmlearn's (testdata/ALGORITHM.md): the M-step uses
// the same expressions, including the cancellation-prone expanded variance
// formula, the 1e-5 floor on diag/spherical denominators, and absorbing exact
// zeros in π and A. Run.History[i] is the log-likelihood before the (i+1)-th
// M-step, like monitor_.history; the loop stops when the gain is below Tol.
// Viterbi breaks ties like hmmlearn: the last state takes the lowest index,
// earlier states the highest. Categorical.DecodeMAP and Gaussian.DecodeMAP
// are decode(algorithm="map"), whose value is Σ_t max_j γ_t(j), not a log.
//
// The tests in fixture_test.go reproduce the 17 hmmlearn fixtures in
// testdata/hmmlearn (rtol 1e-9, atol 1e-12, exact paths), see README there.
//
// # Numerics
//
// The default log implementation does not spend hmmlearn's K² exp/log per
// frame: it runs scaled recursions on exp(b_t − max b_t) with log P kept as a
// sum of logs (fast.go), which is exact up to rounding, and recomputes a
// sequence with hmmlearn's log-space recursions whenever a positive quantity
// could have underflowed (degenerate data with tiny variances). Score and
// ScoreFrames first try a scaled forward pass that lets such quantities go
// to 0 while it bounds their true mass and proves it below 1e-17 of
// everything it changes (drop.go); on degenerate data, where every frame has
// states thousands of nats below the best, it replaces the log-space pass,
// and in runs of identical rows it copies the frames that repeat bit for bit.
// The E-step and Posteriors do the same with a forward-backward pass that
// keeps the bounds of dropped states as logarithms (estepdrop.go): it is
// accepted only if every posterior or Σ_t ξ that it sets to 0 is below
// e^−745.5, so exactly 0 in hmmlearn's log values as well (the M-step makes
// such zeros permanent), and everything else is exact to 1e-17 relative per
// frame; in runs of identical rows it copies frames that repeat bit for bit
// instead of recomputing them. Otherwise the log-space recursions are used.
// The log-space recursions take exp of arguments
// in [−700, 0] with the fast expNeg and logs with logFast (within 2 ulp of
// math.Log). EM drives
// the start probabilities of unused states towards 0 geometrically; once
// π_j·p_0(j) underflows, the first frame drops that state and restores its
// γ_0 and ξ_0 exactly afterwards, after checking that nothing else depended
// on it beyond 1e-17 relative. It stays finite for any T. The hot loops are
// blocked and specialised for K = 4 and K = 8 (same sums in the same order);
// diag emissions are computed once per run of identical rows and copied
// (the E-step finds the runs once per fit), and the statistics skip the
// blocks where a state's γ is 0;
// categorical models read exp(b − max b) from a per-symbol table, and
// Viterbi for K = 4 stores back-pointers chosen with hmmlearn's tie rule. Its posteriors are a little more accurate than
// hmmlearn's log ones; in the degenerate fixture this shows as a 5e-9
// relative difference after one iteration in the variance of a state owning
// ~220 identical rows, where botprof agrees with hmmlearn's own scaling fit
// instead (hmmlearn's two implementations differ there by 5e-7).
// The scaling implementation is hmmlearn's, including its error
// (ErrUnderflow) when a frame's probability sum drops below 1e-300.
//
// # Where botprof departs from hmmlearn
//
//   - A state with zero expected occupancy (never entered) keeps its previous
//     mean, and its full/tied covariance if that denominator is 0; hmmlearn
//     divides 0/0 and the whole model turns NaN (edge_unreachable_state).
//   - A transition row, start vector or emission row whose MAP update sums to
//     0 keeps its previous value; hmmlearn leaves zeros (or NaN) that make
//     the model unusable.
//   - A sequence of zero probability under the model (log P = −∞) is an
//     error in training and in Posteriors; hmmlearn returns NaN.
//   - Run.Converged is true only when the tolerance test stopped the run;
//     hmmlearn's monitor_.converged is also true when n_iter is reached.
//   - Run.FinalLogLik scores the returned parameters (hmmlearn's score after
//     fit), which is what Train compares across restarts.
//   - Data are float64; hmmlearn computes X**2 of integer input in the input
//     type (int32 overflow above 46340), botprof does not.
//   - A spherical initial variance (mean of all covariance entries) that is
//     not positive is replaced by the mean of the diagonal; with a single
//     row the data covariance is taken as 0 (numpy gives NaN).
package hmm
