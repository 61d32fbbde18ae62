// Package mixture is a worked custom model with a discrete latent, written
// with package ppl: a mixture of C Gaussians in the plane with a shared
// isotropic noise scale,
//
//	c ~ Categorical(softmax(α)),  x | c ~ N(μ_c, σ² I₂),
//
// with parameters α ("mix.logits", 1×C), μ ("mix.means", C×2) and σ
// ("mix.scale", 1×1, constrained positive), and an amortised guide
//
//	q(c | x) = Categorical(softmax(W x + b))
//
// with parameters W ("guide.w", C×2) and b ("guide.b", 1×C). Every
// parameter is registered lazily, with its initialiser, the first time a run
// reads it.
//
// Model and Guide take the data points as the rows of x and open a plate
// over them: the class of every point is drawn at once, as one site "c" of
// K·B rows for K particles and B points, with no loop over points or
// particles. SVI may subsample the plate (ppl.Objective.Subsample), and the
// same functions score a single point, a 1×2 x.
//
// Because the components share one isotropic covariance, the exact posterior
// is itself a softmax of a linear function of x:
//
//	log p(c | x) = log π_c + μ_c·x/σ² − |μ_c|²/(2σ²) + const(x),
//
// that is W_c = μ_c/σ² and b_c = log π_c − |μ_c|²/(2σ²). The guide's family
// therefore contains the exact posterior for every value of the model's
// parameters, the ELBO can reach log p(x), and maximising the ELBO over model
// and guide together is maximum likelihood. The site c is discrete, so SVI
// estimates the guide's gradient with the score-function (REINFORCE)
// estimator of ppl.Standard, with a leave-one-out baseline.
//
// The model has a finite latent space, so everything can also be computed
// exactly by summing over c: Mixture.Exact returns log p(x) through
// latent.GaussianMixture, Mixture.ExactELBO the ELBO and Mixture.ELBOGradient
// its gradient. They are the reference the example and the tests check the
// Monte Carlo estimators against.
//
// Register makes the model available to the vitool command tree as
// --model mixture, with Data as its default data set: fit passes it the
// whole data set (--batch subsamples the plate), estimate-px one point at a
// time. See the command examples/08-gaussian-mixture/cmd/mixtool.
package mixture
