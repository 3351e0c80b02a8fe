// Package train is the fifth pipeline stage (load → filter → discretize →
// window → train → evaluate): it fits the model on the profiled hosts'
// windows and records how the fit converged. The model is an HMM (package
// hmm) or the Markov-chain baseline (package markov, Params.Markov).
//
// The profiled host's windows are given to the model either as rows (one
// sequence of size-dimensional rows, the notebook's layout for its Gaussian
// HMM) or as sequences (each window its own sequence of flow codes, the
// natural layout for a categorical HMM). With restarts, the model with the
// highest training log-likelihood over the seeds is kept.
package train
