// Package nn holds neural-network modules that models and guides use as
// parameterised functions on an ad.Tape.
//
// An MLP is a description (layer sizes and an activation); its parameters
// are ordinary Vars that the caller owns, typically parameters of a ppl
// model or guide:
//
//	enc := nn.MLP{Sizes: []int{784, 200, 200, 100}, Act: nn.Tanh}
//	for _, s := range enc.Params() { … create s.Name, s.Rows×s.Cols, s.Init(data, rnd) … }
//	out := enc.Forward(x, params) // n×100, one row per example or particle
//
// # Layout and initialisation
//
// Params lists the parameters with the names and layouts of a PyTorch
// nn.Sequential of Linear layers and activations ("0.weight" is Out×In,
// "0.bias" is 1×Out, the next layer is "2.…"), so that checkpoints load in
// PyTorch unchanged. Their initialisers are PyTorch's nn.Linear default
// and draw only from the *rand.Rand they are given: never from gorgonia's
// initialisers or random nodes, which seed from the clock.
//
// # The network as one tape operation
//
// Forward records the whole network as a single ad.Custom operation. Its
// forward and backward passes are compiled gorgonia programs (the backward
// pass is written out by hand, so that it reuses the forward pass's
// activations instead of recomputing them), compiled once per
// architecture, number of rows and kind, and kept in a pool so that
// parallel workers each run their own copy. The adjoint of the input is
// computed only when the input is on a tape (a decoder applied to a
// reparameterised draw), which saves the largest product of an encoder
// applied to data.
//
// The programs run in float32, the precision networks have always been
// trained in here. With gonum's pure-Go BLAS a float64 program costs about
// the same on the reference VAE networks (BenchmarkForwardBackward), so the
// choice rests on the rest: float32 halves the programs' memory and the
// traffic of converting parameters, and keeps training numerics as they
// were. Inputs and parameters are rounded to float32 when they enter a
// program and outputs and adjoints are widened to float64 when they leave
// it, so the rest of the tape stays in float64.
//
// Running a compiled program has a fixed cost of several microseconds per
// graph operation, whatever the size of the matrices: a network of a few
// units on a few rows is several times faster written directly with
// package ad's operations (BenchmarkForwardBackward/tiny), while for the
// VAE's networks the matrix products dominate and the two cost about the
// same.
//
// # Determinism
//
// Given the same inputs, Forward and its backward pass give the same bits
// for any GOMAXPROCS and from any goroutine: the programs are sequential
// apart from the BLAS matrix product, which by default is gonum's pure-Go
// implementation (deterministic). Building with -tags openblas routes the
// products through OpenBLAS (cgo, libopenblas-dev), as for the rest of
// vitool; results are then reproducible for a fixed OPENBLAS_NUM_THREADS
// but may differ from the pure-Go build in the last bits.
package nn
