// Package ppl lets a user write a latent-variable model and its variational
// family as ordinary Go functions with named random sites, in the style of
// Pyro, fit the family by stochastic variational inference, and estimate
// the model's evidence log p(x) with the estimators of package mc.
//
// # Models and guides
//
// A Model draws latent variables with Tracer.Sample and scores the data
// with Tracer.Observe; a Guide, the variational family q(z|x), draws the
// same latent names. Values are Vars of package ad, so arithmetic on them
// is differentiated automatically:
//
//	model := func(t *ppl.Tracer, x *ad.Var) {
//		z := t.Sample("z", dist.StdNormal{D: 2})            // K×2: one row per particle
//		loc := ad.MatMul(z, w)                                // K×D
//		t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Scalar(-1)}, x)
//	}
//	guide := func(t *ppl.Tracer, x *ad.Var) {
//		loc := t.Param("q.loc", ppl.Zeros(1, 2))             // 1×2, broadcast over particles
//		scale := t.Param("q.scale", ppl.Fill(1, 2, 0.1), ppl.Positive)
//		t.Sample("z", dist.Normal{Loc: loc, LogScale: ad.Log(scale)})
//	}
//
// Every function runs on K particles at once: the value of a latent site is
// a K×Dim matrix whose row k belongs to particle k. Parameters and
// constants broadcast against it (a 1×D row, a scalar), and a site's
// distribution has Len() 1 (shared by all particles) or K. A shape mistake
// is returned as an error naming the site and both shapes, never a panic,
// also when SVI runs.
//
// # Plates
//
// A model of many conditionally independent data points declares them
// with Tracer.Plate: the sites in its body are vectorised over the plate's
// members (K·B rows for B visited members), Plate.Data selects the data
// rows of the visited members, and Objective.Subsample visits a random
// subset of the members per gradient, scaling their log-densities to stand
// for all (Pyro's plate with subsampling). The score-function terms of a
// member's discrete sites are weighted by that member's terms alone
// (Rao-Blackwellisation). When every latent site lies in one plate, the
// members are independent given the parameters and the IWAE bound is taken
// per member, as a VAE trained by IWAE does.
//
// # Traces
//
// Running a function records a Trace: its sites in order, each with its kind
// (latent or observed), distribution, value and log-density. The guide is
// run first; the model is then replayed on the guide's values, and the
// per-particle log-weights log p(x, z_k) − log q(z_k) give the ELBO, the
// IWAE bound and importance-sampling estimates of log p(x). Misuse is
// reported as an error wrapping one of the Err variables.
//
// # Gradients
//
// Gradient runs guide and model once on a tape of package ad and
// differentiates, in reverse mode, a surrogate objective whose gradient is
// the chosen estimator (Pyro's approach):
//
//   - Standard: the reparameterisation (pathwise) gradient for continuous
//     sites plus, for discrete guide sites, the score-function (REINFORCE)
//     term with a baseline: by default the leave-one-out baseline of the
//     other particles (for IWAE, the VIMCO baseline of Mnih and Rezende
//     2016), or a Baseline across steps (AverageBaseline, LinearBaseline);
//   - STL: sticking the landing (Roeder, Wu and Duvenaud 2017) for the ELBO,
//     which evaluates the guide's density with its parameters' gradients
//     stopped and has zero variance when q is the exact posterior;
//   - DReG: the doubly reparameterised gradient (Tucker, Lawson, Gu and
//     Maddison 2018) for the guide's parameters under IWAE;
//   - RWS: reweighted wake-sleep (Bornschein and Bengio 2015): IWAE's
//     gradient for the model, and for the guide the wake-phase gradient of
//     −KL(p(z|x)‖q), in DReG's form, so that q covers the posterior's mass
//     (a better importance-sampling proposal than a bound's mode-seeking q).
//
// With Objective.Enumerate, the ELBO sums over the joint values of the
// guide's discrete sites (each a dist.Enumerator) instead of sampling them.
// A gradient costs one run of guide and model, one surrogate and one
// backward pass (two for DReG and RWS), whatever the number of parameters.
//
// # Parameters
//
// Tracer.Param reads a named parameter from a ParamStore, calling its Init
// on first use with a random stream derived from the store's seed and the
// name. A Constraint (Positive, Interval, UnitInterval, Simplex,
// LowerCholesky) keeps the stored value unconstrained and gives the model
// its constrained image. SVI optimises the stored values in float64 with
// Adam or SGD (package vi). Save and Load write and read safetensors files.
//
// # Automatic guides and evidence
//
// AutoNormal (mean-field), AutoMultivariateNormal (full-rank) and
// AutoLowRankMultivariateNormal build a Gaussian guide for all continuous
// latent sites of a model, like Pyro's: a site with a constrained support
// (positive, an interval, the simplex, …) is fitted in unconstrained space
// and mapped back through dist.BijectTo of its support. A guide whose
// distribution at a site has another support than the model's is reported
// as an error wrapping ErrSupport, naming the site and both supports.
// Importance, Prior, ELBO and IWAE estimate log p(x) for any model and
// guide with the engine and diagnostics of package mc (standard error,
// ESS, Pareto k̂), through the adapters AsModel and AsProposal; AsGradModel
// adds the gradient of log p(x, z) with respect to the latents, for
// annealed importance sampling (mc.AIS).
package ppl
