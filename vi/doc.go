// Package vi holds variational-inference objectives and optimisation that
// do not depend on any autodiff engine: the description of an objective
// (ELBO with analytic or sampled KL, IWAE-K), the KL weight β and its linear
// warm-up, reductions from per-sample log weights to per-example bounds, the
// Adam optimiser over []float32 parameters with checkpointable state, and a
// generic fitting loop.
//
// Gradients come from elsewhere (package amortized compiles them with
// internal/ad); vi only consumes them.
package vi
