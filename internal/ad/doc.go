// Package ad is vitool's boundary to automatic differentiation. It is the
// only package that imports gorgonia: everything else sees compiled training
// programs for fixed shapes whose parameters and gradients are plain slices.
//
// # Layout
//
// Parameters follow PyTorch's layout so that checkpoints need no
// conversion: a linear layer with n inputs and m outputs has a weight of
// shape [m, n] stored row-major and a bias of length m. A program takes its
// parameters as a [][]T in the order weight₀, bias₀, weight₁, bias₁, … of the
// encoder followed by those of the decoder, and keeps pointers to those
// slices: updating them in place (for instance with vi.Adam) changes what the
// next Run computes, without recompiling.
//
// Internally the graphs run feature-major (activations are features × batch),
// so that W·H needs no transposed copy of W; Run transposes its row-major
// inputs once per call.
//
// # Randomness
//
// Programs contain no random nodes. The reparameterisation noise ε is an
// input: a (K·B)×L row-major matrix whose row k·B+b is the standard-normal
// draw of sample k for example b. Callers fill it from their own seeded
// source, so a run is reproducible.
//
// # Precision
//
// Programs are generic over float32 (for training) and float64 (for gradient
// checks against finite differences).
//
// # BLAS
//
// By default gorgonia uses gonum's pure-Go BLAS (no cgo). Building with
// -tags openblas (cgo, libopenblas-dev, and gonum.org/v1/netlib in go.mod)
// routes gorgonia's and gonum's blas32/blas64 matrix products through
// OpenBLAS instead, which is about 2.5× faster for the reference VAE on two
// cores. Results are then reproducible for a fixed number of OpenBLAS
// threads (OPENBLAS_NUM_THREADS) but may differ in the last bits from the
// pure-Go build.
package ad
