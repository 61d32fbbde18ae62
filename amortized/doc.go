// Package amortized holds amortised inference: the variational autoencoder
// (VAE) and the plain autoencoder (AE) as models and guides of package ppl,
// their networks (package nn) and a deterministic minibatch trainer.
//
// A VAE is a ppl model and guide (VAE.Model, VAE.Guide): for every row x_i
// of a batch, z_i ~ N(0, I) and x_i ~ p(x|z_i) from the decoder, and
// q(z_i|x_i) = N(μ(x_i), diag σ²(x_i)) from the encoder. The autoencoder is
// the same structure with a point-mass guide and no prior (AE.Model,
// AE.Guide). Training runs through ppl.GradientTraces like any other model,
// and a VAE also implements latent.Model, so the estimators of package mc
// evaluate it directly, with the encoder's Gaussian as proposal:
//
//	est, err := mc.Importance(vae, vae.Proposal(x), x, 5000, mc.Config{Seed: 1})
//
// # Parameters and checkpoints
//
// Weights live in a ppl.ParamStore (Networks.Store) under PyTorch's names,
// with float32 values, so a checkpoint maps one to one onto a PyTorch
// state_dict of nn.Sequential encoder and decoder modules: encoder.0.weight
// [out, in], encoder.0.bias [out], encoder.2.weight, … (indices step by two
// because the activation modules count), then decoder.0.weight, …. The
// encoder's last layer has 2·L outputs: μ first, then log σ². Params
// exposes the tensors by name and VAEConfig.Metadata the architecture as
// strings; NewVAEFromParams and ParseVAEConfig rebuild the model (likewise
// for the AE). File formats are left to package safetensors.
//
// # Evaluation and training
//
// The networks run as compiled gorgonia programs in float32 (package nn);
// log-densities are summed in float64. The Trainer (TrainEpoch, with a
// context to stop after the current step) draws the shuffle of epoch e from
// a PCG stream seeded by (TrainConfig.Seed, e), and the binarisation draws
// and the reparameterisation noise ε of step s of epoch e from a stream
// seeded by (Seed, e, s). Resuming therefore needs only the weights, Adam's
// state and the position (epoch, step), and an interrupted run resumed from
// its checkpoint is bit-identical to an uninterrupted one.
package amortized
