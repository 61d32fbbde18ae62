// Package vi holds the optimisation side of variational inference,
// independent of any autodiff engine: optimisers over parameter slices of
// float32 or float64 (Adam with checkpointable state, SGD with momentum),
// learning-rate schedules, the linear warm-up of a KL weight β, and a
// generic fitting loop.
//
// Gradients come from elsewhere (package ppl differentiates models and
// guides, and package amortized trains VAEs through it); vi only consumes
// them. The objectives themselves (ELBO, IWAE-K, their gradient
// estimators) are package ppl's Objective.
package vi
