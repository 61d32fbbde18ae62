package ad

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the element type of a program: float32 for training, float64 for
// gradient checks.
type Float interface {
	~float32 | ~float64
}

// Activation is a pointwise nonlinearity applied after every hidden layer of
// an MLP (never after the last one).
type Activation int

// Activations.
const (
	Tanh Activation = iota
	ReLU
	Softplus
)

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	case Softplus:
		return "softplus"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// MLP describes a multilayer perceptron: Sizes[0] inputs, Sizes[len-1]
// outputs, and len(Sizes)-2 hidden layers with activation Act.
type MLP struct {
	Sizes []int
	Act   Activation
}

// NumParams returns the number of parameter slices of the MLP (two per
// layer).
func (m MLP) NumParams() int { return 2 * (len(m.Sizes) - 1) }

// ParamLens returns the length of each parameter slice, in order
// weight₀, bias₀, weight₁, bias₁, ….
func (m MLP) ParamLens() []int {
	var n []int
	for i := 0; i+1 < len(m.Sizes); i++ {
		n = append(n, m.Sizes[i+1]*m.Sizes[i], m.Sizes[i+1])
	}
	return n
}

func (m MLP) validate(name string) error {
	if len(m.Sizes) < 2 {
		return fmt.Errorf("ad: %s needs at least an input and an output size, got %v", name, m.Sizes)
	}
	for _, s := range m.Sizes {
		if s < 1 {
			return fmt.Errorf("ad: %s has a non-positive layer size in %v", name, m.Sizes)
		}
	}
	switch m.Act {
	case Tanh, ReLU, Softplus:
	default:
		return fmt.Errorf("ad: %s has unknown activation %v", name, m.Act)
	}
	return nil
}

// Likelihood is the observation model p(x|z) of a decoder.
type Likelihood int

// Likelihoods.
const (
	// Bernoulli: the decoder outputs logits l and
	// log p(x|z) = Σ_d x_d·l_d − softplus(l_d), computed stably.
	Bernoulli Likelihood = iota
	// Gaussian: the decoder outputs the mean μ and the observation noise has
	// a fixed scalar log standard deviation (VAEConfig.LogSigma), so
	// log p(x|z) = Σ_d −(x_d−μ_d)²/(2σ²) − log σ − ½log 2π.
	Gaussian
)

// String returns the likelihood's name.
func (l Likelihood) String() string {
	switch l {
	case Bernoulli:
		return "bernoulli"
	case Gaussian:
		return "gaussian"
	}
	return fmt.Sprintf("Likelihood(%d)", int(l))
}

// Objective selects the training loss of a VAE program.
type Objective int

// Objectives. With β the KL weight, K samples per example, log w the log
// weight log p(x|z) + β·(log p(z) − log q(z|x)) at z = μ + σ·ε:
const (
	// ELBOAnalytic: mean over k of log p(x|z_k) − β·KL(q(z|x) ‖ N(0, I)).
	ELBOAnalytic Objective = iota
	// ELBOSampled: mean over k of log w_k.
	ELBOSampled
	// IWAE: log (1/K) Σ_k exp(log w_k), computed stably.
	IWAE
)

// String returns the objective's name.
func (o Objective) String() string {
	switch o {
	case ELBOAnalytic:
		return "elbo"
	case ELBOSampled:
		return "elbo-sampled"
	case IWAE:
		return "iwae"
	}
	return fmt.Sprintf("Objective(%d)", int(o))
}

// dtypeOf returns gorgonia's dtype for T.
func dtypeOf[T Float]() tensor.Dtype {
	var z T
	switch any(z).(type) {
	case float32:
		return tensor.Float32
	default:
		return tensor.Float64
	}
}

// graph wraps an expression graph with the element type and error
// accumulation, so that graph construction reads as straight-line code.
type graph[T Float] struct {
	g   *G.ExprGraph
	dt  tensor.Dtype
	err error
}

func newGraph[T Float]() *graph[T] {
	return &graph[T]{g: G.NewGraph(), dt: dtypeOf[T]()}
}

// check records the first error of a graph operation.
func (b *graph[T]) check(n *G.Node, err error) *G.Node {
	if err != nil && b.err == nil {
		b.err = err
	}
	return n
}

// matrix returns an input node of the given shape backed by data.
func (b *graph[T]) matrix(name string, rows, cols int, data []T) *G.Node {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("ad: %s has %d values, want %d×%d", name, len(data), rows, cols))
	}
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(any(data)))
	return G.NewMatrix(b.g, b.dt, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t))
}

// scalar returns a constant scalar node.
func (b *graph[T]) scalar(v float64) *G.Node {
	return G.NewConstant(T(v))
}

func (b *graph[T]) add(x, y *G.Node) *G.Node { return b.check(G.Add(x, y)) }
func (b *graph[T]) sub(x, y *G.Node) *G.Node { return b.check(G.Sub(x, y)) }
func (b *graph[T]) mul(x, y *G.Node) *G.Node { return b.check(G.HadamardProd(x, y)) }
func (b *graph[T]) scale(x *G.Node, c float64) *G.Node {
	return b.check(G.HadamardProd(x, b.scalar(c)))
}
func (b *graph[T]) addConst(x *G.Node, c float64) *G.Node {
	return b.check(G.Add(x, b.scalar(c)))
}
func (b *graph[T]) exp(x *G.Node) *G.Node    { return b.check(G.Exp(x)) }
func (b *graph[T]) log(x *G.Node) *G.Node    { return b.check(G.Log(x)) }
func (b *graph[T]) square(x *G.Node) *G.Node { return b.check(G.Square(x)) }

// sum reduces along the given axis.
func (b *graph[T]) sum(x *G.Node, axis ...int) *G.Node { return b.check(G.Sum(x, axis...)) }

// tile concatenates k copies of x along axis.
func (b *graph[T]) tile(x *G.Node, axis, k int) *G.Node {
	if k == 1 {
		return x
	}
	ns := make(G.Nodes, k)
	for i := range ns {
		ns[i] = x
	}
	return b.check(G.Concat(axis, ns...))
}

// softplus returns log(1 + e^x) as relu(x) + log1p(e^{−|x|}), stable in
// both tails and in both precisions.
func (b *graph[T]) softplus(x *G.Node) *G.Node {
	r := b.check(G.Rectify(x))
	a := b.check(G.Abs(x))
	e := b.exp(b.check(G.Neg(a)))
	return b.add(r, b.check(G.Log1p(e)))
}

func (b *graph[T]) activate(x *G.Node, act Activation) *G.Node {
	switch act {
	case Tanh:
		return b.check(G.Tanh(x))
	case ReLU:
		return b.check(G.Rectify(x))
	case Softplus:
		return b.softplus(x)
	}
	panic("ad: unknown activation")
}

// linear returns W·h + b for feature-major h (in × n), with W (out × in)
// and the bias a column (out × 1) broadcast along the batch.
func (b *graph[T]) linear(w, bias, h *G.Node) *G.Node {
	wh := b.check(G.Mul(w, h))
	return b.check(G.BroadcastAdd(wh, bias, nil, []byte{1}))
}

// layer holds the nodes of one linear layer.
type layer struct {
	w, b *G.Node
}

// mlpLayers creates the parameter nodes of an MLP backed by params
// (weight₀, bias₀, …). If split is true the last layer is split into two
// halves by output rows (μ rows and log σ² rows of a Gaussian encoder), and
// the returned slice has one extra layer.
func (b *graph[T]) mlpLayers(prefix string, m MLP, params [][]T, split bool) []layer {
	var ls []layer
	nl := len(m.Sizes) - 1
	for i := 0; i < nl; i++ {
		in, out := m.Sizes[i], m.Sizes[i+1]
		w, bias := params[2*i], params[2*i+1]
		name := fmt.Sprintf("%s.%d", prefix, 2*i)
		if split && i == nl-1 {
			h := out / 2
			ls = append(ls,
				layer{b.matrix(name+".weight[mu]", h, in, w[:h*in]), b.matrix(name+".bias[mu]", h, 1, bias[:h])},
				layer{b.matrix(name+".weight[logvar]", h, in, w[h*in:]), b.matrix(name+".bias[logvar]", h, 1, bias[h:])},
			)
			continue
		}
		ls = append(ls, layer{b.matrix(name+".weight", out, in, w), b.matrix(name+".bias", out, 1, bias)})
	}
	return ls
}

// forward applies hidden layers with activation and returns the last
// hidden representation; ls must not include the output layer(s).
func (b *graph[T]) hidden(ls []layer, h *G.Node, act Activation) *G.Node {
	for _, l := range ls {
		h = b.activate(b.linear(l.w, l.b, h), act)
	}
	return h
}

// logLik returns the per-column log-likelihood (a vector of length n) of
// the feature-major data x (D × n) under decoder output out (D × n).
func (b *graph[T]) logLik(lik Likelihood, x, out *G.Node, logSigma float64) *G.Node {
	switch lik {
	case Bernoulli:
		// x·l − softplus(l)
		return b.sum(b.sub(b.mul(x, out), b.softplus(out)), 0)
	case Gaussian:
		d := x.Shape()[0]
		sq := b.sum(b.square(b.sub(x, out)), 0)
		c := float64(d) * (-logSigma - 0.5*math.Log(2*math.Pi))
		return b.addConst(b.scale(sq, -0.5*math.Exp(-2*logSigma)), c)
	}
	panic("ad: unknown likelihood")
}

// checkParams panics if params does not match the lengths.
func checkParams[T Float](what string, params [][]T, lens []int) {
	if len(params) != len(lens) {
		panic(fmt.Sprintf("ad: %s has %d parameter slices, want %d", what, len(params), len(lens)))
	}
	for i, p := range params {
		if len(p) != lens[i] {
			panic(fmt.Sprintf("ad: %s parameter %d has length %d, want %d", what, i, len(p), lens[i]))
		}
	}
}

// transposeInto stores the row-major r×c matrix src in dst as a row-major
// c×r matrix.
func transposeInto[T Float](dst, src []T, r, c int) {
	for i := 0; i < r; i++ {
		row := src[i*c : (i+1)*c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}

// scalarValue returns the float64 of a scalar gorgonia value.
func scalarValue(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case tensor.Tensor:
		if s.Shape().TotalSize() == 1 {
			switch d := s.Data().(type) {
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			}
		}
	}
	return 0, fmt.Errorf("ad: unexpected loss value %T", v)
}

// ErrNotFinite is returned (wrapped) by Run when the loss is NaN or ±Inf.
var ErrNotFinite = errors.New("ad: loss is not finite")

// outputs reads nodes into preallocated tensors backed by caller-visible
// slices after each run.
type reader[T Float] struct {
	vals []*G.Value
}

// read adds a Read of n into a tensor backed by buf.
func (r *reader[T]) read(n *G.Node, buf []T) *G.Node {
	shp := n.Shape()
	var t tensor.Tensor
	if shp.IsScalar() {
		t = tensor.New(tensor.WithShape(1), tensor.WithBacking(any(buf)))
	} else {
		t = tensor.New(tensor.WithShape(shp.Clone()...), tensor.WithBacking(any(buf)))
	}
	v := new(G.Value)
	*v = t
	r.vals = append(r.vals, v)
	return G.Read(n, v)
}
