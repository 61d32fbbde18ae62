// Package mc estimates the marginal likelihood log p(x) of a latent-variable
// model (latent.Model) at one data point x by Monte Carlo.
//
// The estimators are
//
//   - Prior: naive Monte Carlo, log (1/K) Σ p(x|z_k) with z_k ~ p(z);
//   - Importance: importance sampling, log (1/K) Σ p(x,z_k)/q(z_k) with z_k ~ q;
//   - ELBO: the evidence lower bound E_q[log p(x,z) − log q(z)];
//   - ELBOAnalyticKL: the same bound as E_q[log p(x|z)] − KL(q‖p(z)), with the
//     KL divergence in closed form from package dist;
//   - IWAE: the importance-weighted bound E[log (1/K) Σ p(x,z_k)/q(z_k)],
//     estimated from independent replicates.
//
// Every estimator returns an Estimate that carries its standard error and,
// for the importance-sampling estimators, two diagnostics of the weights
// w = p(x,z)/q(z): Kish's effective sample size (Σw)²/Σw² and the Pareto
// shape k̂ of the weights' upper tail (Vehtari, Simpson, Gelman, Yao and
// Gabry, "Pareto smoothed importance sampling"). Estimates with k̂ > 0.7 are
// unreliable whatever their reported standard error says: the variance of the
// weights is then infinite or close to it, and the delta-method standard error
// underestimates the error.
//
// # Computation
//
// All arithmetic is in log space. The K draws are split into chunks of
// Config.ChunkSize; chunk c draws from its own generator
// rand.New(rand.NewPCG(Config.Seed, c)) (math/rand/v2). Config.Workers
// goroutines evaluate chunks, each reusing its own buffers, and the per-chunk
// summaries (a log-sum-exp accumulator, the mean and spread of the
// log-weights) are merged in chunk order. The chunk size does not depend on
// the number of workers, so the same Config.Seed gives bit-identical results
// for any Workers and any GOMAXPROCS. Memory does not grow with K except for
// the ⌈min(K/5, 3√K)⌉+1 largest log-weights kept for k̂ (about 76 KB for
// K = 10^7).
//
// A proposal that is a dist.SampleLogProber (dist.FlowDistribution) gives
// log q(z) of its draws with the draws, in the same pass; for one that is
// not, log q(z) is LogProb of each chunk. The draws, and so the stream
// contract above, are the same either way.
//
// A log-weight that is NaN or +Inf makes the estimator return an error naming
// the method and the number of bad draws; -Inf is a legitimate log-weight
// (a zero weight). A model or proposal that fails at run time reports it
// with Fail, and the estimator returns the error.
//
// # Annealed importance sampling
//
// AIS anneals chains from a start distribution (the prior, or a proposal
// q(z|x)) to the posterior along the geometric path, with a sigmoidal
// schedule (Sigmoidal) and HMC transitions whose step size is adapted in a
// warm-up to a target acceptance rate; it needs the gradient of
// log p(x, z) with respect to z (GradModel: latent.LinearGaussian
// analytically, any ppl model through ppl.AsGradModel). AISSandwich runs it
// forward and in reverse from an exact posterior sample on simulated data,
// the bidirectional Monte Carlo bounds of Grosse, Ghahramani and Adams
// (2015). Chains run in units of a fixed size with their own streams, so
// the results do not depend on the number of workers either.
package mc
