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
//
// Arguments that are *mat.Dense (or any mat.RawMatrixer) are read in place;
// other mat.Matrix values are copied once per call. Methods never modify their
// receiver, so one distribution may be used from several goroutines as long
// as nobody writes to its matrices meanwhile. Shape errors are programming
// errors and panic; NewMultivariateNormal and KL return errors for outcomes
// that depend on data (a covariance that is not positive definite, a pair of
// types with no registered closed form).
//
// # Families
//
// Continuous: Normal, StdNormal, MultivariateNormal, LogNormal, HalfNormal,
// Cauchy, HalfCauchy, StudentT, Laplace, Exponential, Gamma, InverseGamma,
// Beta, Uniform, Dirichlet. Discrete: Bernoulli, Categorical, Binomial,
// Poisson, Geometric, NegativeBinomial, Multinomial. Combinators: Delta (a
// point mass), TransformedDistribution (a base pushed through a Bijector)
// and MixtureSameFamily (a finite mixture of C components of any
// Differentiable family, shared or per row). Parameters
// are mat.Matrix values that broadcast over rows and columns; an *ad.Var
// parameter makes LogProbVar, RSampleVar and KLVar differentiable with
// respect to it. Gamma, InverseGamma, Beta, StudentT and Dirichlet are
// reparameterised by implicit gradients (Figurnov et al. 2018), computed
// from the derivative of the regularised incomplete gamma function.
//
// # Supports and bijectors
//
// Support() declares the set of values of each family as a Support value
// (Real, Positive, Interval(a, b), Simplex, LowerCholesky, Ordered,
// IntegerInterval(a, b), Boolean, …). BijectTo maps a continuous support
// to a Bijector from unconstrained space with its log-Jacobian, which is
// how constrained latent variables and parameters are fitted: draw u
// freely, use Forward(u), and correct densities by LogDetJacobian(u).
//
// # Normalising flows
//
// PlanarFlow, AffineCoupling (RealNVP) and IAF are learnable bijectors whose
// parameters are *ad.Var, so a flow's log-density differentiates on the
// tape. NewFlowDistribution pushes a reparameterised base through a stack
// of them and caches each draw's log-determinant, which makes a flow a
// richer guide q(z) or q(z|x) than a mean-field Normal. Outside a tape it
// is a SampleLogProber: SampleLogProb draws a batch and scores it in the
// forward pass, with no inversion, and the function SampleLogProb falls back
// to Sample then LogProb for the other distributions; the importance
// sampling estimators of package mc score their proposals this way.
//
// # KL divergences
//
// Analytic KL divergences live in a registry keyed by the concrete types of
// both arguments (RegisterKL, KL); KLMonteCarlo and KLMonteCarloSE estimate
// any pair by sampling, and KLDivergence picks the analytic form when there
// is one.
package dist
