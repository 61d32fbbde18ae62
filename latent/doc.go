// Package latent describes latent-variable models: a prior p(z), a likelihood
// p(x|z), and their joint log p(x, z) = log p(z) + log p(x|z), evaluated for a
// batch of latent values z (the rows of a matrix) and one data point x.
//
// A model may have further capabilities, expressed as small interfaces that
// estimators and tools discover by type assertion: an exact marginal
// likelihood log p(x) (Evidencer), an exact posterior p(z|x) (Posteriorer), and
// ancestral sampling of data (Simulator).
//
// Two tractable models are built in, so that every estimator in this module can
// be checked against an exact answer: LinearGaussian (probabilistic PCA), whose
// evidence and posterior are Gaussian in closed form, and GaussianMixture, a
// finite mixture with a discrete latent whose evidence is a finite sum.
package latent
