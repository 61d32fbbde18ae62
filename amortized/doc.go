// Package amortized holds amortised inference: encoder networks q(z|x),
// neural likelihoods p(x|z), the variational autoencoder (VAE) and the plain
// autoencoder (AE), and a deterministic minibatch trainer.
//
// A VAE implements latent.Model, so the estimators of package mc evaluate
// it directly, with the encoder's Gaussian as proposal:
//
//	est, err := mc.Importance(vae, vae.Proposal(x), x, 5000, mc.Config{Seed: 1})
//
// # Parameters and checkpoints
//
// Weights are float32 in PyTorch's layout and naming, so a checkpoint maps
// one to one onto a PyTorch state_dict of nn.Sequential encoder and decoder
// modules: encoder.0.weight [out, in], encoder.0.bias [out],
// encoder.2.weight, … (indices step by two because the activation modules
// count), then decoder.0.weight, …. The encoder's last layer has 2·L
// outputs: μ first, then log σ². Params exposes the tensors by name and
// VAEConfig.Metadata the architecture as strings; NewVAEFromParams and
// ParseVAEConfig rebuild the model (likewise for the AE). File formats are
// left to package safetensors.
//
// # Evaluation and training
//
// Evaluation (Encode, Decode, LogLikelihood) runs in pure Go with one
// float32 matrix multiply per layer (gonum BLAS) and sums log densities in
// float64. Training compiles gradient programs through internal/ad. The
// Trainer (TrainEpoch, with a context to stop after the current step) draws
// the shuffle of epoch e from a PCG stream seeded by (TrainConfig.Seed, e),
// and the binarisation draws and the reparameterisation noise ε of step s of
// epoch e from a stream seeded by (Seed, e, s). Resuming therefore needs only
// the weights, Adam's state and the position (epoch, step), and an
// interrupted run resumed from its checkpoint is bit-identical to an
// uninterrupted one.
package amortized
