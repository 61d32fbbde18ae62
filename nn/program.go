package nn

import (
	"fmt"
	"strconv"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/vitool/vitool/ad"
)

// float is the element type of a compiled program.
type float interface{ ~float32 | ~float64 }

// dtypeOf returns gorgonia's dtype for T.
func dtypeOf[T float]() tensor.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

// Program kinds.
const (
	kindForward = iota
	kindBackward
	kindBackwardX // the backward pass including the input's adjoint
)

// progKey identifies a compiled program: programs with equal keys are
// interchangeable.
type progKey struct {
	sizes string
	act   Activation
	rows  int
	kind  int
	dtype string
}

func keyOf[T float](m MLP, rows, kind int) progKey {
	var b []byte
	for i, s := range m.Sizes {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(s), 10)
	}
	return progKey{sizes: string(b), act: m.Act, rows: rows, kind: kind, dtype: dtypeOf[T]().String()}
}

// programs holds idle compiled programs by key. A program is used by one
// goroutine at a time: a caller takes one (or compiles a new one when none
// is idle) and puts it back when done, so the number kept per key is the
// largest number ever used at once.
var programs = struct {
	mu   sync.Mutex
	free map[progKey][]any
}{free: make(map[progKey][]any)}

// takeProgram returns an idle program for key, or nil.
func takeProgram(key progKey) any {
	programs.mu.Lock()
	defer programs.mu.Unlock()
	l := programs.free[key]
	if len(l) == 0 {
		return nil
	}
	p := l[len(l)-1]
	l[len(l)-1] = nil
	programs.free[key] = l[:len(l)-1]
	return p
}

// putProgram returns p to the idle programs for key.
func putProgram(key progKey, p any) {
	programs.mu.Lock()
	programs.free[key] = append(programs.free[key], p)
	programs.mu.Unlock()
}

func getForward[T float](m MLP, rows int) *forwardProgram[T] {
	key := keyOf[T](m, rows, kindForward)
	if p := takeProgram(key); p != nil {
		return p.(*forwardProgram[T])
	}
	return newForward[T](key, m, rows)
}

func getBackward[T float](m MLP, rows int, needX bool) *backwardProgram[T] {
	kind := kindBackward
	if needX {
		kind = kindBackwardX
	}
	key := keyOf[T](m, rows, kind)
	if p := takeProgram(key); p != nil {
		return p.(*backwardProgram[T])
	}
	return newBackward[T](key, m, rows, needX)
}

// builder wraps an expression graph with its element type and the first
// error of its construction, so that building reads as straight-line code.
type builder[T float] struct {
	g   *G.ExprGraph
	dt  tensor.Dtype
	err error
}

func newBuilder[T float]() *builder[T] { return &builder[T]{g: G.NewGraph(), dt: dtypeOf[T]()} }

func (b *builder[T]) check(n *G.Node, err error) *G.Node {
	if err != nil && b.err == nil {
		b.err = err
	}
	return n
}

// input returns an input node of the row-major r×c matrix in buf: writing
// buf changes what the next run reads. Matrices are 1×r×c tensors so that
// products can use gorgonia's BatchedMatMul, which passes transpositions
// to the BLAS instead of copying.
func (b *builder[T]) input(name string, r, c int, buf []T) *G.Node {
	t := tensor.New(tensor.WithShape(1, r, c), tensor.WithBacking(buf))
	return G.NewTensor(b.g, b.dt, 3, G.WithShape(1, r, c), G.WithName(name), G.WithValue(t))
}

// mul returns the matrix product of a and b, either transposed as asked.
func (b *builder[T]) mul(x, y *G.Node, transX, transY bool) *G.Node {
	return b.check(G.BatchedMatMul(x, y, transX, transY))
}

// read makes every run copy n's value into buf (a TapeMachine reuses the
// registers of intermediate values, so they must be copied when computed).
func (b *builder[T]) read(n *G.Node, buf []T) {
	if b.err != nil {
		return
	}
	v := new(G.Value)
	*v = tensor.New(tensor.WithShape(n.Shape().Clone()...), tensor.WithBacking(buf))
	G.Read(n, v)
}

// activate applies act to x.
func (b *builder[T]) activate(x *G.Node, act Activation) *G.Node {
	switch act {
	case Tanh:
		return b.check(G.Tanh(x))
	case ReLU:
		return b.check(G.Rectify(x))
	case Softplus:
		// relu(x) + log1p(e^−|x|): stable in both tails and precisions.
		r := b.check(G.Rectify(x))
		e := b.check(G.Exp(b.check(G.Neg(b.check(G.Abs(x))))))
		return b.check(G.Add(r, b.check(G.Log1p(e))))
	case Identity:
		return x
	}
	panic("nn: unknown activation " + act.String())
}

// machine compiles b's graph, panicking on a construction error (a bug:
// shapes were checked before building).
func (b *builder[T]) machine(what string, m MLP, rows int) G.VM {
	if b.err != nil {
		panic(fmt.Errorf("nn: building the %s of MLP %v for %d rows: %w", what, m.Sizes, rows, b.err))
	}
	return G.NewTapeMachine(b.g)
}

// runVM runs vm once, panicking on an error (a bug: gorgonia fails only on
// inconsistent graphs).
func runVM(vm G.VM, what string) {
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		panic(fmt.Errorf("nn: running the %s: %w", what, err))
	}
}

// forwardProgram is the compiled forward pass of an MLP for a fixed number
// of rows n. It runs example-major, like the tape (activations are n×size),
// with the weights in PyTorch's layout: each layer is H·Wᵀ + b, the
// transposition left to the BLAS.
type forwardProgram[T float] struct {
	key    progKey
	m      MLP
	n      int
	x      []T   // n×In
	w, b   [][]T // per layer: Out×In and Out
	out    []T   // n×Out
	hidden [][]T // per hidden layer: its activation, n×size
	vm     G.VM
}

func newForward[T float](key progKey, m MLP, n int) *forwardProgram[T] {
	L := m.Layers()
	p := &forwardProgram[T]{key: key, m: m, n: n, w: make([][]T, L), b: make([][]T, L), hidden: make([][]T, L-1)}
	b := newBuilder[T]()
	p.x = make([]T, n*m.In())
	h := b.input("x", n, m.In(), p.x)
	for l := range L {
		in, out := m.Sizes[l], m.Sizes[l+1]
		p.w[l], p.b[l] = make([]T, out*in), make([]T, out)
		w := b.input(fmt.Sprintf("%d.weight", 2*l), out, in, p.w[l])
		bias := b.input(fmt.Sprintf("%d.bias", 2*l), 1, out, p.b[l])
		z := b.check(G.BroadcastAdd(b.mul(h, w, false, true), bias, nil, []byte{1}))
		if l == L-1 {
			p.out = make([]T, n*out)
			b.read(z, p.out)
			break
		}
		h = b.activate(z, m.Act)
		p.hidden[l] = make([]T, n*out)
		b.read(h, p.hidden[l])
	}
	p.vm = b.machine("forward pass", m, n)
	return p
}

// run evaluates the network at x with params, stores the n×Out output in
// dst, and returns copies of the hidden activations if save is true.
func (p *forwardProgram[T]) run(dst []float64, x *ad.Var, params []*ad.Var, save bool) [][]T {
	convert(p.x, x.Data)
	for l := range p.w {
		convert(p.w[l], params[2*l].Data)
		convert(p.b[l], params[2*l+1].Data)
	}
	runVM(p.vm, "forward pass")
	convert(dst, p.out)
	if !save {
		return nil
	}
	saved := make([][]T, len(p.hidden))
	for l, h := range p.hidden {
		saved[l] = append([]T(nil), h...)
	}
	return saved
}

// backwardProgram is the compiled backward pass of an MLP for a fixed
// number of rows n: given the adjoint of the output and the forward pass's
// hidden activations it computes the adjoints of every weight and bias,
// and of the input if needX. It is written out by hand rather than derived
// by gorgonia's Grad, so that it does not recompute the forward pass:
//
//	dZ_L = G;  for l = L … 1:  ∂W_l = dZ_lᵀ·H_{l−1},  ∂b_l = Σ_rows dZ_l,
//	dH_{l−1} = dZ_l·W_l,  dZ_{l−1} = dH_{l−1} ⊙ act′,
//
// with H_{l−1} the layer's input (x itself for the first layer) and act′
// computed from the saved activations. Every matrix is example-major, as
// on the tape, so no pass over the data transposes anything.
type backwardProgram[T float] struct {
	key    progKey
	m      MLP
	n      int
	g      []T   // n×Out
	h      [][]T // per layer: its input, n×In
	w      [][]T // per layer: W, Out×In; nil where dH is not needed
	d      [][]T // per hidden layer: act′, n×size; nil for Identity
	gw, gb [][]T // per layer: Out×In and Out
	gx     []T   // n×In, if the input's adjoint is computed
	vm     G.VM
}

func newBackward[T float](key progKey, m MLP, n int, needX bool) *backwardProgram[T] {
	L := m.Layers()
	p := &backwardProgram[T]{key: key, m: m, n: n,
		h: make([][]T, L), w: make([][]T, L), d: make([][]T, L-1), gw: make([][]T, L), gb: make([][]T, L)}
	b := newBuilder[T]()
	p.g = make([]T, n*m.Out())
	dz := b.input("grad", n, m.Out(), p.g)
	for l := L - 1; l >= 0; l-- {
		in, out := m.Sizes[l], m.Sizes[l+1]
		p.h[l] = make([]T, n*in)
		h := b.input(fmt.Sprintf("input%d", l), n, in, p.h[l])
		p.gw[l], p.gb[l] = make([]T, out*in), make([]T, out)
		b.read(b.mul(dz, h, true, false), p.gw[l])
		b.read(b.check(G.Sum(dz, 1)), p.gb[l])
		if l == 0 && !needX {
			break
		}
		p.w[l] = make([]T, out*in)
		dh := b.mul(dz, b.input(fmt.Sprintf("%d.weight", 2*l), out, in, p.w[l]), false, false)
		if l == 0 {
			p.gx = make([]T, n*in)
			b.read(dh, p.gx)
			break
		}
		if m.Act == Identity {
			dz = dh
			continue
		}
		p.d[l-1] = make([]T, n*in)
		d := b.input(fmt.Sprintf("deriv%d", l-1), n, in, p.d[l-1])
		dz = b.check(G.HadamardProd(dh, d))
	}
	p.vm = b.machine("backward pass", m, n)
	return p
}

// run adds the adjoints of x and the parameters to grads (ad.Custom's
// layout: x first; nil entries are skipped) given the adjoint g (n×Out) of
// the output and the hidden activations saved by the forward pass.
func (p *backwardProgram[T]) run(grads [][]float64, g []float64, x *ad.Var, params []*ad.Var, saved [][]T) {
	convert(p.g, g)
	convert(p.h[0], x.Data)
	for l := 1; l < len(p.h); l++ {
		copy(p.h[l], saved[l-1])
	}
	for l, w := range p.w {
		if w != nil {
			convert(w, params[2*l].Data)
		}
	}
	for l, d := range p.d {
		if d != nil {
			derivInto(p.m.Act, d, saved[l])
		}
	}
	runVM(p.vm, "backward pass")
	for l := range p.gw {
		if dst := grads[1+2*l]; dst != nil {
			addTo(dst, p.gw[l])
		}
		if dst := grads[2+2*l]; dst != nil {
			addTo(dst, p.gb[l])
		}
	}
	if dst := grads[0]; dst != nil && p.gx != nil {
		addTo(dst, p.gx)
	}
}
