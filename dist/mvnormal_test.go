package dist

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// testCov is a well-conditioned 3×3 covariance with correlations.
func testCov() *mat.SymDense {
	return mat.NewSymDense(3, []float64{
		2.0, 0.6, -0.3,
		0.6, 1.0, 0.2,
		-0.3, 0.2, 0.5,
	})
}

func TestMultivariateNormalLogProb(t *testing.T) {
	mu := []float64{1, -2, 0.5}
	cov := testCov()
	m, err := NewMultivariateNormal(mu, cov)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := distmv.NewNormal(mu, cov, nil)
	if !ok {
		t.Fatal("distmv rejected the covariance")
	}
	x := dense([]float64{1, -2, 0.5}, []float64{0, 0, 0}, []float64{3, -1, -2}, []float64{-10, 5, 4})
	for _, tc := range []struct {
		name string
		x    mat.Matrix
	}{{"dense", x}, {"generic", notDense{x}}} {
		got := m.LogProb(nil, tc.x)
		for i := range got {
			want := ref.LogProb(x.RawRowView(i))
			// The whitening solve and the sum of squares involve O(d²)
			// operations.
			if math.Abs(got[i]-want) > fpTol(9*3, math.Abs(want)) {
				t.Errorf("%s row %d: %v, want %v", tc.name, i, got[i], want)
			}
		}
	}
	if h, want := m.Entropy(nil)[0], ref.Entropy(); math.Abs(h-want) > fpTol(9, math.Abs(want)) {
		t.Errorf("entropy %v, want %v", h, want)
	}
	if !mat.EqualApprox(m.Covariance(), cov, fpTol(3, 2)) {
		t.Errorf("Covariance:\n%v", mat.Formatted(m.Covariance()))
	}
	if got := m.Mean(); got[1] != mu[1] {
		t.Errorf("Mean = %v", got)
	}
}

func TestNewMultivariateNormalErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mu   []float64
		cov  mat.Symmetric
	}{
		{"size", []float64{0, 0}, testCov()},
		{"indefinite", []float64{0, 0}, mat.NewSymDense(2, []float64{1, 2, 2, 1})},
		{"empty mean", nil, mat.NewSymDense(1, []float64{1})},
	} {
		if _, err := NewMultivariateNormal(tc.mu, tc.cov); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestMultivariateNormalSample(t *testing.T) {
	const n = 20000
	mu := []float64{1, -2, 0.5}
	cov := testCov()
	m, err := NewMultivariateNormal(mu, cov)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(n, 3, nil)
	m.Sample(x, newRand(11))
	for a := 0; a < 3; a++ {
		checkGaussianMoments(t, "mvn", x, a, mu[a], cov.At(a, a))
	}
	// Sample covariances: Var((x_a − μ_a)(x_b − μ_b)) = Σ_aa Σ_bb + Σ_ab².
	for a := 0; a < 3; a++ {
		for b := a + 1; b < 3; b++ {
			var c float64
			for i := 0; i < n; i++ {
				c += (x.At(i, a) - mu[a]) * (x.At(i, b) - mu[b])
			}
			c /= n
			se := math.Sqrt((cov.At(a, a)*cov.At(b, b) + cov.At(a, b)*cov.At(a, b)) / n)
			if math.Abs(c-cov.At(a, b)) > zSE*se {
				t.Errorf("cov[%d,%d] = %v, want %v ± %v", a, b, c, cov.At(a, b), zSE*se)
			}
		}
	}

	// RSample, Transform and Sample agree under one stream, and z = μ + Lε.
	var z, eps mat.Dense
	z.ReuseAs(5, 3)
	m.RSample(&z, &eps, newRand(12))
	s := mat.NewDense(5, 3, nil)
	m.Sample(s, newRand(12))
	if !mat.Equal(&z, s) {
		t.Error("RSample and Sample differ")
	}
	var tr mat.Dense
	m.Transform(&tr, notDense{&eps})
	if !mat.Equal(&tr, &z) {
		t.Error("Transform differs from RSample")
	}
	for i := 0; i < 5; i++ {
		var lz mat.VecDense
		lz.MulVec(m.Chol, eps.RowView(i))
		for j := 0; j < 3; j++ {
			want := mu[j] + lz.AtVec(j)
			if got := z.At(i, j); math.Abs(got-want) > fpTol(3, math.Abs(want)+3) {
				t.Errorf("z[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
}

func TestMultivariateNormalPanics(t *testing.T) {
	m, _ := NewMultivariateNormal([]float64{0, 0}, mat.NewSymDense(2, []float64{1, 0, 0, 1}))
	upper := mat.NewTriDense(2, mat.Upper, []float64{1, 0, 0, 1})
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"nil chol", func() { MultivariateNormal{Loc: dense([]float64{0})}.Dim() }},
		{"upper chol", func() { MultivariateNormal{dense([]float64{0, 0}), upper}.Dim() }},
		{"size", func() { MultivariateNormal{dense([]float64{0}), m.Chol}.Dim() }},
		{"zero diagonal", func() {
			MultivariateNormal{dense([]float64{0, 0}), mat.NewTriDense(2, mat.Lower, []float64{1, 0, 0, 0})}.Dim()
		}},
		{"x columns", func() { m.LogProb(nil, dense([]float64{1, 2, 3})) }},
		{"sample columns", func() { m.Sample(mat.NewDense(2, 3, nil), newRand(1)) }},
	} {
		mustPanic(t, tc.name, tc.f)
	}
	if _, err := NewMultivariateNormal([]float64{0}, testCov()); err == nil || errors.Is(err, ErrNoKL) {
		t.Errorf("size mismatch: %v", err)
	}
}
