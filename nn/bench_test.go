package nn

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/vitool/vitool/ad"
)

// The networks of the IWAE paper's MNIST VAE (50 latent dimensions) at
// batch 100, and a tiny network for the per-operation overhead.
var benchNets = []struct {
	name  string
	m     MLP
	rows  int
	needX bool // the input is on the tape (a decoder's reparameterised z)
}{
	{"encoder", MLP{Sizes: []int{784, 200, 200, 100}, Act: Tanh}, 100, false},
	{"decoder", MLP{Sizes: []int{50, 200, 200, 784}, Act: Tanh}, 100, true},
	{"tiny", MLP{Sizes: []int{2, 16, 2}, Act: Tanh}, 8, true},
}

// BenchmarkForwardBackward measures one forward and backward pass of a
// network on a fresh tape (the objective is Σ C ⊙ MLP(x) for a constant
// C), computed by
//
//   - gorgonia-f32: Forward (compiled forward program and hand-written
//     backward program, float32);
//   - gorgonia-f64: the same programs in float64;
//   - gorgonia-f32-grad: the forward program, and a backward pass that is
//     gorgonia's Grad of Σ G ⊙ MLP(x) (it recomputes the forward pass);
//   - gorgonia-f32-rebuild: Forward with the programs built and compiled
//     anew on every call;
//   - tape-f64: the network composed of package ad's operations (MatMul,
//     Add, Tanh; gonum blas64).
//
// On a shared machine run with -cpu 1 and compare cpu-ns/op (the process's
// CPU time per step), e.g.
//
//	go test -run '^$' -bench ForwardBackward -benchtime 20x -cpu 1 ./nn
func BenchmarkForwardBackward(b *testing.B) {
	for _, net := range benchNets {
		for _, alt := range []struct {
			name    string
			f       forwardFunc
			rebuild bool
		}{
			{"gorgonia-f32", MLP.Forward, false},
			{"gorgonia-f64", forward[float64], false},
			{"gorgonia-f32-grad", forwardGrad[float32], false},
			{"gorgonia-f32-rebuild", MLP.Forward, true},
			{"tape-f64", tapeForward, false},
		} {
			b.Run(net.name+"/"+alt.name, func(b *testing.B) {
				benchForwardBackward(b, net.m, net.rows, net.needX, alt.f, alt.rebuild)
			})
		}
	}
}

func benchForwardBackward(b *testing.B, m MLP, rows int, needX bool, f forwardFunc, rebuild bool) {
	rnd := rand.New(rand.NewPCG(1, 2))
	params := newParams(m, nil, 1)
	x := ad.Const(rows, m.In(), randData(rnd, rows*m.In(), 1))
	c := ad.Const(rows, m.Out(), randData(rnd, rows*m.Out(), 1))
	step := func() {
		tp := ad.NewTape()
		ps := make([]*ad.Var, len(params))
		for i, p := range params {
			ps[i] = tp.Watch(p)
		}
		in := x
		if needX {
			in = tp.Watch(x)
		}
		tp.Backward(ad.Sum(ad.Mul(f(m, in, ps), c)))
	}
	step() // compile outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op") }()
	for range b.N {
		if rebuild {
			programs.mu.Lock()
			clear(programs.free)
			programs.mu.Unlock()
		}
		step()
	}
}

// cpuTime returns the CPU time (user and system) the process has used, in
// nanoseconds. On a machine shared with other work it measures the cost of
// a benchmark better than the wall time, which includes waiting for a CPU;
// run with -cpu 1 so that it counts one core's work.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkCompile measures building and compiling the forward and
// backward programs of a network.
func BenchmarkCompile(b *testing.B) {
	for _, net := range benchNets {
		b.Run(net.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op") }()
			for range b.N {
				newForward[float32](progKey{}, net.m, net.rows)
				newBackward[float32](progKey{}, net.m, net.rows, net.needX)
			}
		})
	}
}

// gradProgram is the alternative backward pass: gorgonia's Grad of
// Σ G ⊙ MLP(x), which recomputes the forward pass.
type gradProgram[T float] struct {
	m      MLP
	n      int
	x, g   []T
	w, b   [][]T
	gx     []T
	gw, gb [][]T
	vm     G.VM
}

var gradPrograms = map[string]any{}

func newGradProgram[T float](m MLP, n int, needX bool) *gradProgram[T] {
	L := m.Layers()
	p := &gradProgram[T]{m: m, n: n, w: make([][]T, L), b: make([][]T, L), gw: make([][]T, L), gb: make([][]T, L)}
	bd := newBuilder[T]()
	p.x, p.g = make([]T, n*m.In()), make([]T, n*m.Out())
	x := bd.input("x", n, m.In(), p.x)
	h := x
	var wrt G.Nodes
	for l := range L {
		in, out := m.Sizes[l], m.Sizes[l+1]
		p.w[l], p.b[l] = make([]T, out*in), make([]T, out)
		p.gw[l], p.gb[l] = make([]T, out*in), make([]T, out)
		w := bd.input(fmt.Sprintf("w%d", l), out, in, p.w[l])
		bias := bd.input(fmt.Sprintf("b%d", l), 1, out, p.b[l])
		wrt = append(wrt, w, bias)
		h = bd.check(G.BroadcastAdd(bd.mul(h, w, false, true), bias, nil, []byte{1}))
		if l < L-1 {
			h = bd.activate(h, m.Act)
		}
	}
	gin := bd.input("g", n, m.Out(), p.g)
	cost := bd.check(G.Sum(bd.check(G.HadamardProd(h, gin))))
	if needX {
		wrt = append(wrt, x)
	}
	grads, err := G.Grad(cost, wrt...)
	bd.check(nil, err)
	for l := range L {
		bd.read(grads[2*l], p.gw[l])
		bd.read(grads[2*l+1], p.gb[l])
	}
	if needX {
		p.gx = make([]T, n*m.In())
		bd.read(grads[2*L], p.gx)
	}
	p.vm = bd.machine("gradient program", m, n)
	return p
}

// forwardGrad is forward with the backward pass of a gradProgram.
func forwardGrad[T float](m MLP, x *ad.Var, params []*ad.Var) *ad.Var {
	n := x.R
	out := make([]float64, n*m.Out())
	fp := getForward[T](m, n)
	fp.run(out, x, params, false)
	putProgram(fp.key, fp)
	needX := x.Tape() != nil
	key := fmt.Sprint(keyOf[T](m, n, kindBackward), needX)
	return ad.Custom(n, m.Out(), out, append([]*ad.Var{x}, params...), func(g []float64, grads [][]float64) {
		gp, ok := gradPrograms[key].(*gradProgram[T])
		if !ok {
			gp = newGradProgram[T](m, n, needX)
			gradPrograms[key] = gp
		}
		convert(gp.x, x.Data)
		convert(gp.g, g)
		for l := range gp.w {
			convert(gp.w[l], params[2*l].Data)
			convert(gp.b[l], params[2*l+1].Data)
		}
		runVM(gp.vm, "gradient program")
		for l := range gp.gw {
			if dst := grads[1+2*l]; dst != nil {
				addTo(dst, gp.gw[l])
			}
			if dst := grads[2+2*l]; dst != nil {
				addTo(dst, gp.gb[l])
			}
		}
		if dst := grads[0]; dst != nil {
			addTo(dst, gp.gx)
		}
	})
}

// TestGradProgram checks the benchmark's Grad-based alternative computes
// the same adjoints as the hand-written backward program.
func TestGradProgram(t *testing.T) {
	pr := newProblem(MLP{Sizes: []int{3, 5, 4, 2}, Act: Softplus}, 4, 3)
	_, want := pr.gradient(forward[float64])
	_, got := pr.gradient(forwardGrad[float64])
	for i := range want {
		for j := range want[i] {
			if d := got[i][j] - want[i][j]; d > 1e-12 || d < -1e-12 {
				t.Errorf("input %d element %d: Grad gives %g, hand-written %g", i, j, got[i][j], want[i][j])
			}
		}
	}
}
