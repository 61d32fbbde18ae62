package ad_test

import (
	"math/rand/v2"
	"syscall"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/vitool/vitool/ad"
)

// The design benchmark of docs/architecture.md: the gradient of a
// twelve-operation function of small matrices, the size of a small model's
// log-joint (8 particles, 2 latents, 3 data coordinates),
//
//	y = Σ (tanh(z·W + b) − x)² · e^{−s} + Σ z² + Σ s,
//
// by this package's tape, by a gorgonia graph compiled once and rerun
// (TapeMachine), and by a gorgonia graph built and compiled for every
// gradient, as a define-by-run use of gorgonia would.
const (
	benchK, benchD, benchL = 8, 3, 2
)

func benchInputs() (z, w, b, x, s []float64) {
	rnd := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rnd.NormFloat64()
		}
		return v
	}
	return fill(benchK * benchL), fill(benchL * benchD), fill(benchD), fill(benchD), fill(benchD)
}

func tapeGradient(z, w, b, x, s []float64) float64 {
	tp := ad.NewTape()
	zv, wv, bv, sv := tp.Var(benchK, benchL, z), tp.Var(benchL, benchD, w), tp.Var(1, benchD, b), tp.Var(1, benchD, s)
	r := ad.Sub(ad.Tanh(ad.Add(ad.MatMul(zv, wv), bv)), ad.Row(x))
	y := ad.Add(ad.Add(ad.Sum(ad.Mul(ad.Square(r), ad.Exp(ad.Neg(sv)))), ad.Sum(ad.Square(zv))), ad.Sum(sv))
	tp.Backward(y)
	return wv.Grad()[0]
}

// gorgoniaGraph builds the function as a gorgonia graph with its
// gradient.
type gorgoniaGraph struct {
	g             *G.ExprGraph
	z, w, b, x, s *G.Node
	y             *G.Node
	grads         G.Nodes
}

func newGorgoniaGraph(z, w, b, x, s []float64) *gorgoniaGraph {
	g := G.NewGraph()
	m := func(r, c int, v []float64, name string) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(r, c), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(r, c), tensor.WithBacking(append([]float64(nil), v...)))))
	}
	gg := &gorgoniaGraph{g: g, z: m(benchK, benchL, z, "z"), w: m(benchL, benchD, w, "w"),
		b: m(1, benchD, b, "b"), x: m(1, benchD, x, "x"), s: m(1, benchD, s, "s")}
	zw := G.Must(G.Mul(gg.z, gg.w))
	h := G.Must(G.Tanh(G.Must(G.BroadcastAdd(zw, gg.b, nil, []byte{0}))))
	r := G.Must(G.BroadcastSub(h, gg.x, nil, []byte{0}))
	e := G.Must(G.Exp(G.Must(G.Neg(gg.s))))
	t1 := G.Must(G.Sum(G.Must(G.BroadcastHadamardProd(G.Must(G.Square(r)), e, nil, []byte{0}))))
	t2 := G.Must(G.Sum(G.Must(G.Square(gg.z))))
	gg.y = G.Must(G.Add(G.Must(G.Add(t1, t2)), G.Must(G.Sum(gg.s))))
	var err error
	if gg.grads, err = G.Grad(gg.y, gg.z, gg.w, gg.b, gg.s); err != nil {
		panic(err)
	}
	return gg
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkSmallGradient(b *testing.B) {
	z, w, bias, x, s := benchInputs()
	b.Run("tape", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuNs()
		for b.Loop() {
			tapeGradient(z, w, bias, x, s)
		}
		b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
	})
	b.Run("gorgonia-compiled", func(b *testing.B) {
		gg := newGorgoniaGraph(z, w, bias, x, s)
		vm := G.NewTapeMachine(gg.g, G.BindDualValues(gg.z, gg.w, gg.b, gg.s))
		defer vm.Close()
		b.ReportAllocs()
		start := cpuNs()
		for b.Loop() {
			if err := vm.RunAll(); err != nil {
				b.Fatal(err)
			}
			vm.Reset()
		}
		b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
	})
	b.Run("gorgonia-rebuilt", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuNs()
		for b.Loop() {
			gg := newGorgoniaGraph(z, w, bias, x, s)
			vm := G.NewTapeMachine(gg.g, G.BindDualValues(gg.z, gg.w, gg.b, gg.s))
			if err := vm.RunAll(); err != nil {
				b.Fatal(err)
			}
			vm.Close()
		}
		b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
	})
}

// TestSmallGradientAgrees checks that the benchmark's three variants
// compute the same gradient, so that they are compared on the same work.
func TestSmallGradientAgrees(t *testing.T) {
	z, w, bias, x, s := benchInputs()
	want := tapeGradient(z, w, bias, x, s)
	gg := newGorgoniaGraph(z, w, bias, x, s)
	vm := G.NewTapeMachine(gg.g, G.BindDualValues(gg.z, gg.w, gg.b, gg.s))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gw, err := gg.w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gw.Data().([]float64)[0]
	if d := got - want; d > 1e-12 || d < -1e-12 {
		t.Errorf("gorgonia ∂y/∂W₀₀ = %v, tape %v", got, want)
	}
}
