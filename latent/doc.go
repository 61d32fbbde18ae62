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
// LinearGaussian also gives the optimal mean-field Gaussian (MeanField) and
// the ELBO of any diagonal Gaussian in closed form (ELBO), for checking
// variational methods.
//
// Both models are value types with exported fields; their methods only read
// the fields and are safe for concurrent use. Validate reports invalid
// parameters as an error; the other methods assume valid parameters and panic
// on shape mismatches.
//
// Models can be read from and written to JSON specifications (ParseSpec,
// LoadSpec, MarshalSpec), one object with a "family" field naming the model
// family (see Families):
//
//	{"family": "linear-gaussian", "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0, 0], "noise_std": 0.5}
//	{"family": "gaussian-mixture", "weights": [0.3, 0.7], "means": [[-1], [1]], "stds": [[1], [0.5]]}
package latent
