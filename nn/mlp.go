package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vitool/vitool/ad"
)

// MLP is a multilayer perceptron: Sizes[0] inputs, Sizes[len−1] outputs,
// and a linear layer between each pair of consecutive sizes. Act follows
// every layer but the last, whose output is returned as is (logits, means,
// log-variances). An MLP is a description: its parameters are Vars that
// the caller owns and passes to Forward.
type MLP struct {
	Sizes []int
	Act   Activation
}

// Validate returns an error if m has fewer than two sizes, a size that is
// not positive, or an unknown activation.
func (m MLP) Validate() error {
	if len(m.Sizes) < 2 {
		return fmt.Errorf("nn: MLP needs at least an input and an output size, got %v", m.Sizes)
	}
	for _, s := range m.Sizes {
		if s < 1 {
			return fmt.Errorf("nn: MLP %v has a layer size that is not positive", m.Sizes)
		}
	}
	if !m.Act.valid() {
		return fmt.Errorf("nn: MLP %v has unknown activation %v", m.Sizes, m.Act)
	}
	return nil
}

// In returns the number of inputs, Sizes[0].
func (m MLP) In() int { return m.Sizes[0] }

// Out returns the number of outputs, the last size.
func (m MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// Layers returns the number of linear layers, len(Sizes) − 1.
func (m MLP) Layers() int { return len(m.Sizes) - 1 }

// ParamSpec describes one parameter of a module: its name, its shape and
// how to draw its initial value.
type ParamSpec struct {
	// Name is the parameter's name in a PyTorch state_dict, relative to the
	// module ("0.weight").
	Name string
	// Rows and Cols are the parameter's shape as a Var.
	Rows, Cols int
	// Init fills dst (Rows·Cols values, row-major) with an initial value
	// drawn from rnd and from nowhere else.
	Init func(dst []float64, rnd *rand.Rand)
}

// Params returns the MLP's parameters in the order Forward takes them:
// for layer l = 0, 1, … with In inputs and Out outputs, the Out×In weight
// "2l.weight" and the 1×Out bias "2l.bias". The names and layouts are
// those of a PyTorch nn.Sequential that interleaves Linear and activation
// modules (so layer l is module 2l), and the initialisers are PyTorch's
// nn.Linear default: weight and bias uniform on (−1/√In, 1/√In). Calling
// the initialisers in order with one source draws the same values as the
// earlier amortized.NewMLP (before its rounding to float32). It panics if
// m is invalid.
func (m MLP) Params() []ParamSpec {
	if err := m.Validate(); err != nil {
		panic(err)
	}
	ps := make([]ParamSpec, 0, 2*m.Layers())
	for l := range m.Layers() {
		in, out := m.Sizes[l], m.Sizes[l+1]
		init := uniformInit(1 / math.Sqrt(float64(in)))
		ps = append(ps,
			ParamSpec{Name: fmt.Sprintf("%d.weight", 2*l), Rows: out, Cols: in, Init: init},
			ParamSpec{Name: fmt.Sprintf("%d.bias", 2*l), Rows: 1, Cols: out, Init: init},
		)
	}
	return ps
}

// uniformInit returns an initialiser drawing uniformly on [−bound, bound).
func uniformInit(bound float64) func([]float64, *rand.Rand) {
	return func(dst []float64, rnd *rand.Rand) {
		for i := range dst {
			dst[i] = bound * (2*rnd.Float64() - 1)
		}
	}
}

// Forward applies the MLP to the n×In matrix x, one example (or particle)
// per row, with params as listed by Params (weight₀, bias₀, weight₁, …),
// and returns the n×Out output.
//
// When x or a parameter is on a tape, the whole network is recorded as one
// operation whose backward pass gives the adjoints of x and of every
// parameter on the tape; otherwise Forward only evaluates. Both passes run
// as compiled gorgonia programs in float32 (inputs and parameters are
// rounded to float32 at the boundary; outputs and adjoints are returned in
// float64). Programs are compiled once per architecture and number of rows
// and reused; Forward is safe for concurrent use by goroutines working on
// different tapes, and its results are the same bits for any GOMAXPROCS.
//
// Forward panics with an error if m is invalid, and with an *ad.ShapeError
// naming the layer and both shapes if x or a parameter has the wrong shape.
func (m MLP) Forward(x *ad.Var, params []*ad.Var) *ad.Var {
	return forward[graphFloat](m, x, params)
}

// graphFloat is the element type of the compiled programs behind Forward,
// chosen by measurement (see BenchmarkForwardBackward).
type graphFloat = float32

// check panics unless m is valid and x and params fit it.
func (m MLP) check(x *ad.Var, params []*ad.Var) {
	if err := m.Validate(); err != nil {
		panic(err)
	}
	if x.C != m.In() {
		panic(&ad.ShapeError{
			Op:     fmt.Sprintf("nn: MLP %v layer 0 (0.weight)", m.Sizes),
			Shapes: [][2]int{{x.R, x.C}, {m.Sizes[1], m.Sizes[0]}},
			Detail: "input columns must equal the weight's columns",
		})
	}
	if len(params) != 2*m.Layers() {
		panic(fmt.Errorf("nn: MLP %v takes %d parameters (a weight and a bias per layer), got %d",
			m.Sizes, 2*m.Layers(), len(params)))
	}
	for l := range m.Layers() {
		in, out := m.Sizes[l], m.Sizes[l+1]
		w, b := params[2*l], params[2*l+1]
		if w.R != out || w.C != in {
			panic(&ad.ShapeError{
				Op:     fmt.Sprintf("nn: MLP %v layer %d (%d.weight)", m.Sizes, l, 2*l),
				Shapes: [][2]int{{w.R, w.C}, {out, in}},
				Detail: "got the first, want the second",
			})
		}
		if b.R != 1 || b.C != out {
			panic(&ad.ShapeError{
				Op:     fmt.Sprintf("nn: MLP %v layer %d (%d.bias)", m.Sizes, l, 2*l),
				Shapes: [][2]int{{b.R, b.C}, {1, out}},
				Detail: "got the first, want the second",
			})
		}
	}
}

// forward is Forward with programs in precision T.
func forward[T float](m MLP, x *ad.Var, params []*ad.Var) *ad.Var {
	m.check(x, params)
	n := x.R
	taped := x.Tape() != nil
	for _, p := range params {
		taped = taped || p.Tape() != nil
	}
	out := make([]float64, n*m.Out())
	fp := getForward[T](m, n)
	saved := fp.run(out, x, params, taped)
	putProgram(fp.key, fp)
	if !taped {
		return ad.Const(n, m.Out(), out)
	}
	needX := x.Tape() != nil
	ins := make([]*ad.Var, 0, 1+len(params))
	ins = append(ins, x)
	ins = append(ins, params...)
	return ad.Custom(n, m.Out(), out, ins, func(g []float64, grads [][]float64) {
		bp := getBackward[T](m, n, needX)
		bp.run(grads, g, x, params, saved)
		putProgram(bp.key, bp)
	})
}
