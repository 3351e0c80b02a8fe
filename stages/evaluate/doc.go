// Package evaluate is the last pipeline stage (load → filter → discretize →
// window → train → evaluate): it scores every listed host's windows with the
// trained model and measures how well the scores separate infected from
// normal hosts.
//
// Each host gets three scores: viterbi (the Viterbi log-probability summed
// over the model's sequences, the notebook's score), loglik (the forward
// log-likelihood summed) and loglik_per_window (loglik / windows, the only
// one comparable across hosts of different sizes). Every window is also
// scored alone, for a window-level ROC.
//
// The metrics are pure functions (ROC, AUC, Margin, TPRAtFPR0, Downsample,
// Spearman) so that reports can reuse them.
package evaluate
