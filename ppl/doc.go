// Package ppl lets a user write a latent-variable model and its variational
// family as ordinary Go functions with named random sites, in the style of
// Pyro, then fit the family by stochastic variational inference and estimate
// the model's evidence log p(x) with the estimators of package mc.
//
// # Models and guides
//
// A Model draws latent variables with Tracer.Sample and scores the
// observation with Tracer.Observe; a Guide, the variational family q(z|x),
// draws the same latent names:
//
//	model := func(t *ppl.Tracer, x []float64) {
//		z := t.Sample("z", dist.StdNormal{D: 2})          // K×2: one row per particle
//		loc := ...                                          // K×D, computed from z
//		t.Observe("x", dist.Normal{Loc: loc, LogScale: ls}, x)
//	}
//	guide := func(t *ppl.Tracer, x []float64) {
//		loc := t.Param("q.loc", mat.NewDense(1, 2, nil))
//		ls := t.Param("q.log_scale", mat.NewDense(1, 2, nil))
//		t.Sample("z", dist.Normal{Loc: loc, LogScale: ls})
//	}
//
// Every function runs on K particles at once: the value of a site is a K×Dim
// matrix whose row k belongs to particle k, and a site's distribution has
// Len() 1 (shared by all particles) or K (row k for particle k), exactly the
// batching rules of package dist. Tracer.Particles returns K.
//
// # Traces
//
// Running a function records a Trace: its sites in order, each with its kind
// (latent or observed), distribution, value and per-particle log-density. The
// guide is run first; the model is then replayed on the guide's values, and
// the per-particle log-weights log p(x, z_k) − log q(z_k) give the ELBO, the
// IWAE bound and importance-sampling estimates of log p(x). Misuse is reported
// as an error wrapping one of the Err variables: a guide site the model lacks
// (ErrUnmatchedGuideSite), a model latent the guide does not sample
// (ErrMissingLatent), a site name used twice (ErrDuplicateSite), a value of
// the wrong shape (ErrShape), or a non-reparameterisable site where the
// gradient estimator needs one (ErrNotReparameterizable).
//
// # Evidence
//
// Importance, Prior, ELBO and IWAE estimate log p(x) for any model and guide
// with the engine and diagnostics of package mc (standard error, ESS, Pareto
// k̂): AsModel and AsProposal adapt a model to latent.Model and a guide to a
// dist.Distribution over the concatenated latent sites, so the numbers are
// the same as those of a built-in model written the same way.
//
// # Gradients
//
// Gradients of the objectives (ELBO or IWAE-K, see Objective) with respect to
// the parameters in a ParamStore are computed by Gradient, and SVI fits them
// with Adam (package vi). Model code is plain Go on gonum matrices, so ppl
// differentiates it by central finite differences with common random
// numbers: the guide is re-run at θ ± h with the same standard-normal noise ε
// for its reparameterisable sites and the same values for its discrete ones,
// the model is replayed on the moved values, and the per-particle derivatives
// of the log-weights are combined into the estimator:
//
//   - Standard: the reparameterisation (pathwise) gradient for continuous
//     sites plus, for discrete guide sites, the score-function (REINFORCE)
//     term with a baseline: by default the leave-one-out baseline of the
//     other particles (for IWAE, the VIMCO baseline of Mnih and Rezende
//     2016), or a Baseline across steps (AverageBaseline, a decaying
//     average; LinearBaseline, learned as a function of x);
//   - STL: sticking the landing (Roeder, Wu and Duvenaud 2017) for the ELBO,
//     which drops the score term ∂ log q_φ(z)/∂φ at fixed z and has zero
//     variance when q is the exact posterior;
//   - DReG: the doubly reparameterised gradient (Tucker, Lawson, Gu and
//     Maddison 2018) for the guide's parameters under IWAE.
//
// With Objective.Enumerate, the ELBO sums over the joint values of the
// guide's discrete sites (each a dist.Enumerator) instead of sampling them:
// every particle is run once per combination and weighted by its guide
// probability, so the discrete sites add no score-function noise (Pyro's
// enumeration in the guide). It costs a factor of the number of
// combinations, at most MaxEnumeration.
//
// The derivative of each log-weight with respect to one scalar parameter costs
// two runs of the guide and the model on all K particles (three runs of the
// guide for STL and DReG), so a gradient costs O(P) runs for P scalar
// parameters: ppl is for models with up to a few hundred parameters, where
// this is cheap and needs nothing from the user. Neural models belong to
// package amortized, whose gradients are compiled by automatic
// differentiation. The truncation error of the central differences, with a
// step h = 1e-5·max(1, |θ|), is O(h²) ≈ 1e-10 relative, far below the Monte
// Carlo noise of any estimator; the tests check the estimators against exact
// gradients of closed-form objectives.
//
// # Data sets
//
// SVI fits on a data set: a Model describes one data point, the points are
// independent given the parameters (a plate over the data, as in Pyro), and
// each step averages the gradients of a minibatch of points drawn from a
// fresh permutation per epoch. The objective is then the bound per data
// point, and the guide is amortised: it computes q(z|x) from x with shared
// parameters. Per-point gradients run in parallel, on copies of the
// ParamStore, and are summed in batch order, so the numbers do not depend on
// the number of workers.
//
// A model with both global latents (shared by all points) and local ones
// takes the whole data set as x and declares the points with Tracer.Plate:
// the sites of member i are named "name[i]", Objective.Subsample visits a
// random subset of the members per gradient and scales their log-densities
// to stand for all, and the score-function terms of a member's discrete
// sites are weighted by that member's terms alone (Rao-Blackwellisation).
//
// # Automatic guides
//
// AutoNormal (mean-field) and AutoMultivariateNormal (full-rank) build a
// Gaussian guide for all continuous latent sites of a model, like Pyro's
// AutoNormal and AutoMultivariateNormal. Their parameters live in the
// ParamStore under "auto." names, which Save and Load write to and read from
// safetensors files.
package ppl
