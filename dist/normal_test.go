package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// normalOracle is Σ_j distuv.Normal.LogProb for row i of x under member
// row a of nd, with the magnitude of its terms.
func normalOracle(nd Normal, a int, x []float64) (lp, scale float64) {
	for j, v := range x {
		u := distuv.Normal{Mu: nd.Loc.At(a, j), Sigma: math.Exp(nd.LogScale.At(a, j))}
		t := u.LogProb(v)
		lp += t
		scale += math.Abs(t)
	}
	return lp, scale
}

func TestNormalLogProb(t *testing.T) {
	x3 := dense([]float64{0.3, -1.2, 2.5}, []float64{-0.7, 0.1, 0}, []float64{4, 4, -4})
	for _, tc := range []struct {
		name string
		nd   Normal
		x    mat.Matrix
	}{
		{"broadcast", Normal{dense([]float64{0.5, -1, 2}), dense([]float64{0.1, -0.4, 1.3})}, x3},
		{"batched", Normal{
			dense([]float64{0.5, -1, 2}, []float64{0, 0, 0}, []float64{3, 5, -3}),
			dense([]float64{0.1, -0.4, 1.3}, []float64{0, 0, 0}, []float64{-2, 2, 0.5}),
		}, x3},
		{"generic matrix", Normal{dense([]float64{0.5, -1, 2}), dense([]float64{0.1, -0.4, 1.3})}, notDense{x3}},
		{"strided view", Normal{dense([]float64{1, 2}), dense([]float64{0, -1})}, x3.Slice(0, 3, 1, 3)},
		{"large log-scale", Normal{dense([]float64{0, 1}), dense([]float64{700, 650})}, dense([]float64{1e300, -5}, []float64{0, 1})},
		{"small log-scale", Normal{dense([]float64{0, 1}), dense([]float64{-700, -20})}, dense([]float64{1e-300, 1}, []float64{0, 1 + 1e-9})},
	} {
		got := tc.nd.LogProb(nil, tc.x)
		r, _ := tc.x.Dims()
		if len(got) != r {
			t.Fatalf("%s: len %d, want %d", tc.name, len(got), r)
		}
		for i := range got {
			row := mat.Row(nil, i, tc.x)
			want, scale := normalOracle(tc.nd, member(tc.nd.Len(), i), row)
			if math.IsInf(got[i], 0) || math.IsNaN(got[i]) || math.Abs(got[i]-want) > fpTol(4*len(row), scale) {
				t.Errorf("%s row %d: got %v, want %v", tc.name, i, got[i], want)
			}
		}
		// dst reuse gives the same values.
		dst := make([]float64, r)
		if again := tc.nd.LogProb(dst, tc.x); &again[0] != &dst[0] || again[0] != got[0] {
			t.Errorf("%s: dst not reused", tc.name)
		}
	}
}

// TestNormalLogProbOverflow covers log-scales whose exp(−logσ) overflows,
// where distuv itself cannot represent σ: the density at the mean is
// −logσ − log(2π)/2 and a point 1e-300 away is still finite.
func TestNormalLogProbOverflow(t *testing.T) {
	nd := Normal{dense([]float64{0}), dense([]float64{-800})}
	got := nd.LogProb(nil, dense([]float64{0}, []float64{1e-300}))
	want0 := 800 - halfLog2Pi
	z := math.Exp(math.Log(1e-300) + 800) // 1e-300·e^800, finite
	want1 := want0 - 0.5*z*z
	if math.Abs(got[0]-want0) > fpTol(2, want0) {
		t.Errorf("at mean: got %v, want %v", got[0], want0)
	}
	if math.IsNaN(got[1]) || math.Abs(got[1]-want1) > fpTol(8, math.Abs(want1)) {
		t.Errorf("off mean: got %v, want %v", got[1], want1)
	}
}

func TestNormalSampleMoments(t *testing.T) {
	const n = 20000
	loc := []float64{0.5, -3, 10}
	ls := []float64{0, math.Log(0.1), math.Log(4)}
	nd := Normal{dense(loc), dense(ls)}
	x := mat.NewDense(n, 3, nil)
	nd.Sample(x, newRand(1))
	for j := range loc {
		s := math.Exp(ls[j])
		checkGaussianMoments(t, "broadcast", x, j, loc[j], s*s)
	}

	// Batched: two members, each row drawn from its own member; check by
	// drawing many batches and looking at row 1.
	nb := Normal{dense([]float64{100, 0}, []float64{-2, 7}), dense([]float64{0, 0}, []float64{math.Log(3), -1})}
	col := mat.NewDense(n, 2, nil)
	b := mat.NewDense(2, 2, nil)
	rnd := newRand(2)
	for k := 0; k < n; k++ {
		nb.Sample(b, rnd)
		col.SetRow(k, b.RawRowView(1))
	}
	checkGaussianMoments(t, "batched", col, 0, -2, 9)
	checkGaussianMoments(t, "batched", col, 1, 7, math.Exp(-2))
}

func TestNormalRSampleTransform(t *testing.T) {
	nd := Normal{
		dense([]float64{1, 2}, []float64{-1, 0}, []float64{3, 3}),
		dense([]float64{0.5, -0.5}, []float64{0, 1}, []float64{-2, 2}),
	}
	a := mat.NewDense(3, 2, nil)
	nd.Sample(a, newRand(7))

	var z, eps mat.Dense // empty: resized to Len()×Dim()
	nd.RSample(&z, &eps, newRand(7))
	if !mat.Equal(a, &z) {
		t.Errorf("RSample and Sample differ under one stream:\n%v\n%v", mat.Formatted(a), mat.Formatted(&z))
	}
	var e2 mat.Dense
	e2.CloneFrom(&eps)
	for i := 0; i < 3; i++ {
		for j := 0; j < 2; j++ {
			want := nd.Loc.At(i, j) + math.Exp(nd.LogScale.At(i, j))*eps.At(i, j)
			if got := z.At(i, j); math.Abs(got-want) > fpTol(2, math.Abs(want)) {
				t.Errorf("z[%d,%d] = %v, want μ+σε = %v", i, j, got, want)
			}
		}
	}
	// Transform of the kept noise reproduces z, also in place and for a
	// generic eps.
	var t1 mat.Dense
	nd.Transform(&t1, notDense{&e2})
	nd.Transform(&e2, &e2)
	if !mat.Equal(&t1, &z) || !mat.Equal(&e2, &z) {
		t.Errorf("Transform does not reproduce RSample")
	}

	// Broadcast: RSample of a 1×d Normal into n rows.
	b := Normal{dense([]float64{1, -1}), dense([]float64{0, 1})}
	z4, e4 := mat.NewDense(4, 2, nil), mat.NewDense(4, 2, nil)
	b.RSample(z4, e4, newRand(3))
	s4 := mat.NewDense(4, 2, nil)
	b.Sample(s4, newRand(3))
	if !mat.Equal(z4, s4) {
		t.Errorf("broadcast RSample and Sample differ")
	}
}

func TestNormalEntropy(t *testing.T) {
	nd := Normal{dense([]float64{0, 1, 2}, []float64{5, 5, 5}), dense([]float64{0, -1, 2}, []float64{0.3, 0.3, -3})}
	got := nd.Entropy(nil)
	for i := range got {
		var want float64
		for j := 0; j < 3; j++ {
			want += distuv.Normal{Mu: 0, Sigma: math.Exp(nd.LogScale.At(i, j))}.Entropy()
		}
		if math.Abs(got[i]-want) > fpTol(6, math.Abs(want)+3) {
			t.Errorf("member %d: entropy %v, want %v", i, got[i], want)
		}
	}
}

func TestNormalPanics(t *testing.T) {
	good := Normal{dense([]float64{0, 0}), dense([]float64{0, 0})}
	batch := Normal{dense([]float64{0, 0}, []float64{1, 1}), dense([]float64{0, 0}, []float64{0, 0})}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"shape mismatch", func() { Normal{dense([]float64{0, 0}), dense([]float64{0, 0, 0})}.Dim() }},
		{"nil field", func() { Normal{Loc: dense([]float64{0})}.Len() }},
		{"x columns", func() { good.LogProb(nil, dense([]float64{1, 2, 3})) }},
		{"x rows for batch", func() { batch.LogProb(nil, dense([]float64{1, 2}, []float64{1, 2}, []float64{1, 2})) }},
		{"dst length", func() { good.LogProb(make([]float64, 2), dense([]float64{1, 2})) }},
		{"sample rows for batch", func() { batch.Sample(mat.NewDense(3, 2, nil), newRand(1)) }},
		{"sample columns", func() { good.Sample(mat.NewDense(3, 3, nil), newRand(1)) }},
		{"eps shape", func() { good.RSample(mat.NewDense(3, 2, nil), mat.NewDense(2, 2, nil), newRand(1)) }},
		{"transform eps shape", func() { good.Transform(mat.NewDense(3, 2, nil), mat.NewDense(3, 1, nil)) }},
		{"entropy dst", func() { batch.Entropy(make([]float64, 1)) }},
	} {
		mustPanic(t, tc.name, tc.f)
	}
	if err := (Normal{dense([]float64{0, 0}), dense([]float64{0, 1, 2})}).Validate(); err == nil {
		t.Error("Validate accepted a shape mismatch")
	}
	if err := (Normal{dense([]float64{0, 0}, []float64{1, 1}), dense([]float64{0, 1})}).Validate(); err != nil {
		t.Errorf("Validate rejected a 1×2 LogScale broadcast against a 2×2 Loc: %v", err)
	}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestStdNormal(t *testing.T) {
	s := StdNormal{D: 3}
	x := dense([]float64{0, 0, 0}, []float64{1, -2, 0.5})
	got := s.LogProb(nil, notDense{x})
	ref := Normal{dense([]float64{0, 0, 0}), dense([]float64{0, 0, 0})}.LogProb(nil, x)
	for i := range got {
		if math.Abs(got[i]-ref[i]) > fpTol(12, math.Abs(ref[i])) {
			t.Errorf("row %d: %v, want %v", i, got[i], ref[i])
		}
	}
	if h, want := s.Entropy(nil)[0], 3*distuv.UnitNormal.Entropy(); math.Abs(h-want) > fpTol(3, want) {
		t.Errorf("entropy %v, want %v", h, want)
	}
	if s.Len() != 1 || s.Dim() != 3 {
		t.Errorf("Len, Dim = %d, %d", s.Len(), s.Dim())
	}

	const n = 20000
	z := mat.NewDense(n, 3, nil)
	s.Sample(z, newRand(4))
	for j := 0; j < 3; j++ {
		checkGaussianMoments(t, "StdNormal", z, j, 0, 1)
	}
	var r, e mat.Dense
	s.RSample(&r, &e, newRand(4))
	first := mat.NewDense(1, 3, nil)
	s.Sample(first, newRand(4))
	if !mat.Equal(&r, &e) || !mat.Equal(&r, first) {
		t.Errorf("RSample is not the identity on Sample's noise")
	}
	mustPanic(t, "D = 0", func() { StdNormal{}.Dim() })
	mustPanic(t, "columns", func() { s.LogProb(nil, dense([]float64{1})) })
}
