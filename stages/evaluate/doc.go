// Package evaluate is the last pipeline stage (load → filter → discretize →
// window → train → evaluate): it scores every listed host's windows with the
// trained model and measures how well the scores separate infected from
// normal hosts.
//
// Each host gets three scores: viterbi (the Viterbi log-probability summed
// over the model's sequences, the notebook's score), loglik (the forward
// log-likelihood summed) and loglik_per_window (loglik / windows, the only
// one comparable across hosts of different sizes). Every window also gets a
// score of its own, for a window-level ROC: with rows input (a host's windows
// are one sequence) its forward log-likelihood increment log P(w_i | w_<i),
// whose sum is the host's loglik; with sequences input (each window its own
// sequence) its log-likelihood.
//
// Params.Normalize divides these: none (the default) keeps the sums;
// per_window divides a host's viterbi and loglik by its windows; per_flow
// divides them by the codes its windows hold, and every window's score by
// its own codes, so that windows of different lengths (time windows) are
// compared per symbol. loglik_per_window is not normalised again.
//
// The metrics are pure functions (ROC, AUC, Margin, TPRAtFPR0, Downsample,
// Spearman) so that reports can reuse them.
package evaluate
