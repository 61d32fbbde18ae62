// Package checkpoint saves and loads vitool's amortised models (the VAE and
// the autoencoder of package amortized) as safetensors files that PyTorch
// reads and writes, and the state of a training run beside them.
//
// # Model files
//
// A model file is a plain PyTorch state_dict of two nn.Sequential modules,
// encoder and decoder, with nn.Linear layers separated by activation
// modules: F32 tensors named encoder.0.weight [out, in], encoder.0.bias
// [out], encoder.2.weight, …, decoder.0.weight, … exactly as
// amortized.VAE.Params and amortized.AE.Params name them. The architecture
// lives in the safetensors __metadata__ as strings, written by
// amortized.VAEConfig.Metadata or amortized.AEConfig.Metadata:
//
//	model       "vae" or "ae"
//	data_dim    "784"
//	latent      "50"        (the code size of an AE)
//	hidden      "200,200"   (encoder hidden sizes; the decoder reverses them)
//	activation  "tanh", "relu" or "softplus"
//	likelihood  "bernoulli" or "gaussian" (VAE), with log_sigma for gaussian
//	loss        "mse" or "bce" (AE)
//	flow        "iaf" (VAE with an IAF encoder), with flow_steps and flow_hidden
//
// A VAE with an IAF encoder (flow "iaf", T = flow_steps, H = flow_hidden)
// has an encoder whose last layer outputs 2·latent + H values and, after
// the decoder, the tensors flow.<t>.in.weight [latent, H], flow.<t>.in.bias
// [H], flow.<t>.context.weight [H, H], flow.<t>.out.weight [H, 2·latent] and
// flow.<t>.out.bias [2·latent] for t = 0 … T−1 (see amortized.VAE).
//
// PyTorch loads such a file with safetensors.torch.load_file and
// load_state_dict(strict=True); a file that PyTorch writes with the same
// names and metadata loads here. Loading is strict too: every tensor the
// architecture calls for must be present with its shape, and no other
// tensor may be. Floating-point tensors of other widths (F64, F16, BF16) are
// converted to float32.
//
// # Training runs
//
// SaveRun writes a run directory: the model to ModelFile and the training
// state to StateFile, a separate safetensors file so that the model file
// stays a clean state_dict. The state file holds Adam's moment estimates
// (tensors exp_avg.NAME and exp_avg_sq.NAME, flattened, one per parameter)
// and, in its metadata, the training configuration
// (amortized.TrainConfig.Metadata), the position (completed epochs and
// steps, Adam's step count), the running sums of the current epoch's
// statistics, and any extra strings of the caller under "extra.KEY". The
// model file repeats the position (train_epoch, train_step,
// train_adam_step) so that LoadRun can tell that both files come from the
// same moment. Every file is written atomically.
package checkpoint
