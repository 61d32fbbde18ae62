// Package dist provides probability distributions over vectors and batches of
// vectors, for use as priors, likelihoods and variational proposals.
//
// A batch is the rows of a matrix: a distribution with Len() == n describes n
// independent members, member i scoring row i of its argument. A distribution
// with Len() == 1 is broadcast: it scores (or fills) every row with its single
// member. Dim() is the length of one event (one row).
//
// Every random draw takes an explicit *rand.Rand (math/rand/v2) argument rather
// than reading a package-global source. The Monte Carlo estimators in package mc
// run parallel streams, one seeded generator per chunk of samples, and passing
// the generator per call is what keeps results identical for any GOMAXPROCS.
//
// Log-densities are computed in float64 with numerically stable forms
// (softplus for Bernoulli logits, log-sum-exp for categorical logits), and are
// checked in tests against gonum's stat/distuv and stat/distmv.
package dist
