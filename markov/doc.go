// Package markov is the Markov-chain baseline of the train and evaluate
// stages (model.kind: markov): an order-n chain over flow codes, the
// Stratosphere-style behavioural model, scored with the same score kinds
// as the HMMs.
//
// A chain of order n gives a sequence x_1..x_L the probability
//
//	P(x) = Π_t P(x_t | x_{t-m} .. x_{t-1}),  m = min(t-1, n)
//
// so its first n symbols are scored by shorter contexts (the first one by
// the start distribution, m = 0) and every later symbol by the n before
// it. Each context length has its own table, trained on the positions
// that use it. With additive smoothing α (Laplace for α = 1),
//
//	P(s | c) = (count(c, s) + α) / (count(c) + α·S)
//
// over S symbols; a context never seen in training is uniform (1/S) when
// α > 0. With α = 0 an unseen symbol or context has probability 0: the
// sequence scores -Inf, which the pipeline reports as the status
// zero_probability.
//
// Training takes symbol sequences (hmm.Sequences with D = 1): the pipeline
// gives every window of the profiled hosts as its own sequence, so
// transitions are counted inside windows, as the categorical HMM sees them.
// A chain has no hidden states, so its "Viterbi" score is the sequence's
// log-probability: viterbi and loglik coincide.
package markov
