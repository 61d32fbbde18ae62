package dist

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// mixtureOracle returns log Σ_c w_c exp(lp(c)) with w = softmax(logits),
// by hand.
func mixtureOracle(logits []float64, lp func(c int) float64) float64 {
	lse := logspace.LogSumExp(logits)
	terms := make([]float64, len(logits))
	for c, l := range logits {
		terms[c] = l - lse + lp(c)
	}
	return logspace.LogSumExp(terms)
}

// TestMixtureOracles compares MixtureSameFamily's log-densities with the
// mixture computed by hand from gonum's distuv (Normal, Poisson, Gamma)
// and distmv.Normal components: shared and per-row weights, shared and
// per-row components, a broadcast single component, the row-at-a-time
// path, and points far in the tails.
func TestMixtureOracles(t *testing.T) {
	locs := []float64{-2, 0.5, 3}
	lscale := []float64{0, -0.5, 0.3}
	x1 := dense([]float64{0.1}, []float64{-3}, []float64{40}, []float64{-1e3})
	normal1 := func(c int, x float64) float64 {
		return distuv.Normal{Mu: locs[c], Sigma: math.Exp(lscale[c])}.LogProb(x)
	}
	wShared := []float64{0.2, -1, 0.7}
	wRows := dense([]float64{0.2, -1, 0.7}, []float64{3, 0, math.Inf(-1)}, []float64{-30, 30, 0}, []float64{0, 0, 0})
	comps := Normal{dense([]float64{-2}, []float64{0.5}, []float64{3}), dense([]float64{0}, []float64{-0.5}, []float64{0.3})}

	// Per-row 2-D components: row i, component c has mean (i + c, −c) and
	// log-scale (0.1c, −0.2).
	perRowLoc, perRowLS := mat.NewDense(12, 2, nil), mat.NewDense(12, 2, nil)
	for i := range 4 {
		for c := range 3 {
			perRowLoc.SetRow(i*3+c, []float64{float64(i + c), float64(-c)})
			perRowLS.SetRow(i*3+c, []float64{0.1 * float64(c), -0.2})
		}
	}
	x2 := dense([]float64{0.3, -0.2}, []float64{2, -1}, []float64{-4, 7}, []float64{3, -2})

	mvnChol := mat.NewTriDense(2, mat.Lower, []float64{1.1, 0, 0.4, 0.7})
	mvnLocs := dense([]float64{0, 1}, []float64{2, -1})
	var cov mat.SymDense
	cov.SymOuterK(1, mvnChol)

	rates := []float64{0.5, 4, 30}
	counts := dense([]float64{0}, []float64{3}, []float64{28}, []float64{200})

	for _, tc := range []struct {
		name string
		d    MixtureSameFamily
		x    *mat.Dense
		want func(i int, x []float64) float64
	}{
		{"Normal, shared weights", MixtureSameFamily{Categorical{dense(wShared)}, comps}, x1, func(_ int, x []float64) float64 {
			return mixtureOracle(wShared, func(c int) float64 { return normal1(c, x[0]) })
		}},
		{"Normal, per-row weights", MixtureSameFamily{Categorical{wRows}, comps}, x1, func(i int, x []float64) float64 {
			return mixtureOracle(wRows.RawRowView(i), func(c int) float64 { return normal1(c, x[0]) })
		}},
		{"Normal, row at a time", MixtureSameFamily{Categorical{wRows}, opaque{comps}}, x1, func(i int, x []float64) float64 {
			return mixtureOracle(wRows.RawRowView(i), func(c int) float64 { return normal1(c, x[0]) })
		}},
		{"Normal 2-D, per-row components", MixtureSameFamily{Categorical{dense(wShared)}, Normal{perRowLoc, perRowLS}}, x2, func(i int, x []float64) float64 {
			return mixtureOracle(wShared, func(c int) float64 {
				var s float64
				for j := range 2 {
					s += distuv.Normal{Mu: perRowLoc.At(i*3+c, j), Sigma: math.Exp(perRowLS.At(i*3+c, j))}.LogProb(x[j])
				}
				return s
			})
		}},
		{"one broadcast component", MixtureSameFamily{Categorical{dense(wShared)}, Normal{s11(1), s11(0.2)}}, x1, func(_ int, x []float64) float64 {
			return distuv.Normal{Mu: 1, Sigma: math.Exp(0.2)}.LogProb(x[0])
		}},
		{"MultivariateNormal", MixtureSameFamily{Categorical{dense([]float64{0.3, -0.3})}, MultivariateNormal{mvnLocs, mvnChol}}, x2, func(_ int, x []float64) float64 {
			return mixtureOracle([]float64{0.3, -0.3}, func(c int) float64 {
				o, _ := distmv.NewNormal(mvnLocs.RawRowView(c), &cov, nil)
				return o.LogProb(x)
			})
		}},
		{"Poisson", MixtureSameFamily{Categorical{wRows}, Poisson{dense([]float64{0.5}, []float64{4}, []float64{30})}}, counts, func(i int, x []float64) float64 {
			return mixtureOracle(wRows.RawRowView(i), func(c int) float64 { return distuv.Poisson{Lambda: rates[c]}.LogProb(x[0]) })
		}},
		{"Gamma, value off the support", MixtureSameFamily{Categorical{dense([]float64{0, 1})}, Gamma{dense([]float64{2}, []float64{0.5}), s11(1.5)}},
			dense([]float64{0.7}, []float64{-1}), func(_ int, x []float64) float64 {
				if x[0] < 0 {
					return math.Inf(-1)
				}
				a := []float64{2, 0.5}
				return mixtureOracle([]float64{0, 1}, func(c int) float64 { return distuv.Gamma{Alpha: a[c], Beta: 1.5}.LogProb(x[0]) })
			}},
	} {
		got := tc.d.LogProb(nil, tc.x)
		gotVar := tc.d.LogProbVar(ad.FromDense(tc.x))
		for i := range got {
			want := tc.want(i, tc.x.RawRowView(i))
			if !relClose(got[i], want, 1e-12) {
				t.Errorf("%s row %d: log p = %.17g, by hand %.17g", tc.name, i, got[i], want)
			}
			if gotVar.Data[i] != got[i] && !(math.IsNaN(got[i]) && math.IsNaN(gotVar.Data[i])) {
				t.Errorf("%s row %d: LogProbVar %v, LogProb %v", tc.name, i, gotVar.Data[i], got[i])
			}
		}
	}
}

// TestMixtureMoments checks Mean and Variance against the two-component
// closed forms μ = w₁μ₁ + w₂μ₂ and σ² = w₁σ₁² + w₂σ₂² + w₁w₂(μ₁ − μ₂)²,
// for Normal, MultivariateNormal and Gamma components with shared and
// per-row weights.
func TestMixtureMoments(t *testing.T) {
	w := dense([]float64{0.4, -0.3}, []float64{2, 1})
	for _, tc := range []struct {
		name     string
		d        MixtureSameFamily
		mu, vari [2][]float64 // per component, per coordinate
	}{
		{"Normal", MixtureSameFamily{Categorical{w}, Normal{dense([]float64{-1, 2}, []float64{3, 0}), dense([]float64{0.2, -0.4})}},
			[2][]float64{{-1, 2}, {3, 0}}, [2][]float64{{math.Exp(0.4), math.Exp(-0.8)}, {math.Exp(0.4), math.Exp(-0.8)}}},
		{"MultivariateNormal", MixtureSameFamily{Categorical{w}, MultivariateNormal{dense([]float64{-1, 2}, []float64{3, 0}), dense([]float64{1.5, 0}, []float64{0.5, 2})}},
			[2][]float64{{-1, 2}, {3, 0}}, [2][]float64{{2.25, 4.25}, {2.25, 4.25}}},
		{"Gamma", MixtureSameFamily{Categorical{w}, Gamma{dense([]float64{2}, []float64{9}), dense([]float64{1}, []float64{3})}},
			[2][]float64{{2}, {3}}, [2][]float64{{2}, {1}}},
	} {
		var mean, vari mat.Dense
		tc.d.Mean(&mean)
		tc.d.Variance(&vari)
		for i := range 2 {
			lw := w.RawRowView(i)
			w1 := 1 / (1 + math.Exp(lw[1]-lw[0]))
			w2 := 1 - w1
			for j := range len(tc.mu[0]) {
				m1, m2 := tc.mu[0][j], tc.mu[1][j]
				wantM := w1*m1 + w2*m2
				wantV := w1*tc.vari[0][j] + w2*tc.vari[1][j] + w1*w2*(m1-m2)*(m1-m2)
				if !relClose(mean.At(i, j), wantM, 1e-14) || !relClose(vari.At(i, j), wantV, 1e-14) {
					t.Errorf("%s row %d coordinate %d: mean %v variance %v, closed form %v %v", tc.name, i, j, mean.At(i, j), vari.At(i, j), wantM, wantV)
				}
			}
		}
	}
}

// normalMixtureCDF is the CDF of a one-dimensional mixture of Normals with
// weights softmax(l).
func normalMixtureCDF(l, mu, logScale []float64, x float64) float64 {
	lse := logspace.LogSumExp(l)
	var f float64
	for c := range l {
		f += math.Exp(l[c]-lse) * distuv.Normal{Mu: mu[c], Sigma: math.Exp(logScale[c])}.CDF(x)
	}
	return f
}

// ksUniform returns the Kolmogorov–Smirnov statistic of us against the
// uniform distribution on (0, 1); us is sorted in place.
func ksUniform(us []float64) float64 {
	sort.Float64s(us)
	n := float64(len(us))
	var ks float64
	for i, u := range us {
		ks = math.Max(ks, math.Max(math.Abs(u-float64(i)/n), math.Abs(float64(i+1)/n-u)))
	}
	return ks
}

// TestMixtureSamples checks draws at fixed seeds. For a shared mixture of
// three Normals: sample mean and variance against Mean and Variance
// within zSE standard errors (from the sample's fourth moment), and a
// Kolmogorov–Smirnov test against the mixture's CDF at the 0.1% level.
// For batched mixtures, one draw per row from rows with different
// parameters (per-row weights with shared components, and per-row
// components): the probability integral transforms F_i(x_i) must be
// uniform by the same test, so every row is drawn from its own member.
// Draws of a Gamma mixture lie in its support.
func TestMixtureSamples(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	l, mu, ls := []float64{0.2, -1, 0.7}, []float64{-2, 0.5, 3}, []float64{0, -0.5, 0.3}
	d := MixtureSameFamily{Categorical{dense(l)}, Normal{mat.NewDense(3, 1, mu), mat.NewDense(3, 1, ls)}}
	x := mat.NewDense(n, 1, nil)
	d.Sample(x, newRand(41))
	var mean, vari mat.Dense
	d.Mean(&mean)
	d.Variance(&vari)
	xs := append([]float64(nil), x.RawMatrix().Data...)
	var m, m2, m4 float64
	for _, v := range xs {
		m += v
	}
	m /= float64(n)
	for _, v := range xs {
		dd := (v - m) * (v - m)
		m2 += dd
		m4 += dd * dd
	}
	m2 /= float64(n - 1)
	m4 /= float64(n)
	if se := math.Sqrt(vari.At(0, 0) / float64(n)); math.Abs(m-mean.At(0, 0)) > zSE*se {
		t.Errorf("sample mean %v, want %v ± %v", m, mean.At(0, 0), zSE*se)
	}
	if se := math.Sqrt((m4 - m2*m2) / float64(n)); math.Abs(m2-vari.At(0, 0)) > zSE*se {
		t.Errorf("sample variance %v, want %v ± %v", m2, vari.At(0, 0), zSE*se)
	}
	us := make([]float64, n)
	for i, v := range xs {
		us[i] = normalMixtureCDF(l, mu, ls, v)
	}
	crit := 1.95 / math.Sqrt(float64(n))
	if ks := ksUniform(us); ks > crit {
		t.Errorf("shared mixture: Kolmogorov–Smirnov statistic %v above %v", ks, crit)
	}

	// Batched: row i has its own weights, and its own components in the
	// per-row layout.
	rnd := newRand(42)
	lw, loc, lsc := mat.NewDense(n, 3, nil), mat.NewDense(3*n, 1, nil), mat.NewDense(3*n, 1, nil)
	for i := range n {
		for c := range 3 {
			lw.Set(i, c, 2*rnd.NormFloat64())
			loc.Set(i*3+c, 0, 5*rnd.NormFloat64())
			lsc.Set(i*3+c, 0, rnd.NormFloat64())
		}
	}
	for _, tc := range []struct {
		name string
		d    MixtureSameFamily
		cdf  func(i int, x float64) float64
	}{
		{"per-row weights", MixtureSameFamily{Categorical{lw}, Normal{mat.NewDense(3, 1, mu), mat.NewDense(3, 1, ls)}}, func(i int, x float64) float64 {
			return normalMixtureCDF(lw.RawRowView(i), mu, ls, x)
		}},
		{"per-row components", MixtureSameFamily{Categorical{lw}, Normal{loc, lsc}}, func(i int, x float64) float64 {
			return normalMixtureCDF(lw.RawRowView(i), loc.RawMatrix().Data[3*i:3*i+3], lsc.RawMatrix().Data[3*i:3*i+3], x)
		}},
		{"per-row components, shared weights", MixtureSameFamily{Categorical{dense(l)}, Normal{loc, lsc}}, func(i int, x float64) float64 {
			return normalMixtureCDF(l, loc.RawMatrix().Data[3*i:3*i+3], lsc.RawMatrix().Data[3*i:3*i+3], x)
		}},
	} {
		if tc.d.Len() != n {
			t.Fatalf("%s: Len %d, want %d", tc.name, tc.d.Len(), n)
		}
		x := mat.NewDense(n, 1, nil)
		tc.d.Sample(x, newRand(43))
		for i := range n {
			us[i] = tc.cdf(i, x.At(i, 0))
		}
		if ks := ksUniform(us); ks > crit {
			t.Errorf("%s: Kolmogorov–Smirnov statistic of F_i(x_i) %v above %v", tc.name, ks, crit)
		}
	}

	g := MixtureSameFamily{Categorical{dense([]float64{0, 1})}, Gamma{dense([]float64{0.3, 2}, []float64{5, 1}), s11(2)}}
	if g.Support() != Positive {
		t.Errorf("Gamma mixture: support %v, want positive", g.Support())
	}
	gx := mat.NewDense(500, 2, nil)
	g.Sample(gx, newRand(44))
	for i := range 500 {
		if !Positive.Contains(gx.RawRowView(i)) {
			t.Fatalf("Gamma mixture: draw %v outside its support", gx.RawRowView(i))
		}
	}
}

// TestMixtureDeterministic checks that the same seed gives the same draws.
func TestMixtureDeterministic(t *testing.T) {
	d := MixtureSameFamily{Categorical{dense([]float64{0.2, -1, 0.7})}, Poisson{dense([]float64{1}, []float64{5}, []float64{20})}}
	a, b := mat.NewDense(50, 1, nil), mat.NewDense(50, 1, nil)
	d.Sample(a, newRand(7))
	d.Sample(b, newRand(7))
	if !mat.Equal(a, b) {
		t.Error("two draws with seed 7 differ")
	}
}

// TestMixtureDetach checks that a detached mixture passes no gradient to
// its weights or components but still to its value.
func TestMixtureDetach(t *testing.T) {
	tp := ad.NewTape()
	lw, loc, x := tp.Var(1, 2, []float64{0.3, -0.1}), tp.Var(2, 1, []float64{-1, 1}), tp.Var(3, 1, []float64{0.2, 1, -2})
	d := MixtureSameFamily{Categorical{lw}, Normal{loc, s11(0)}}.Detach()
	tp.Backward(ad.Sum(d.LogProbVar(x)))
	if lw.Grad() != nil || loc.Grad() != nil {
		t.Errorf("detached parameters received gradients %v %v", lw.Grad(), loc.Grad())
	}
	if x.Grad() == nil {
		t.Error("the value received no gradient")
	}
}

func TestMixturePanics(t *testing.T) {
	two := Categorical{dense([]float64{0, 1})}
	for name, f := range map[string]func(){
		"nil components":       func() { MixtureSameFamily{Mixing: two}.Len() },
		"components 3 for C=2": func() { MixtureSameFamily{two, Normal{mat.NewDense(3, 1, nil), s11(0)}}.Len() },
		"per-row mismatch": func() {
			MixtureSameFamily{Categorical{mat.NewDense(3, 2, nil)}, Normal{mat.NewDense(8, 1, nil), s11(0)}}.Len()
		},
		"x rows": func() {
			MixtureSameFamily{Categorical{mat.NewDense(3, 2, nil)}, Normal{mat.NewDense(2, 1, nil), s11(0)}}.LogProb(nil, s11(1))
		},
		"x columns": func() {
			MixtureSameFamily{two, Normal{mat.NewDense(2, 1, nil), s11(0)}}.LogProb(nil, dense([]float64{1, 2}))
		},
		"no mean": func() { MixtureSameFamily{two, Categorical{mat.NewDense(2, 3, nil)}}.Mean(&mat.Dense{}) },
	} {
		mustPanic(t, name, f)
	}
}

func ExampleMixtureSameFamily() {
	// A two-component Gaussian mixture in one dimension: weights 0.3 and
	// 0.7, means −1 and 2, unit scales. Mixing and the components'
	// parameters may be *ad.Var to fit them.
	d := MixtureSameFamily{
		Mixing:     Categorical{Logits: mat.NewDense(1, 2, []float64{math.Log(0.3), math.Log(0.7)})},
		Components: Normal{Loc: mat.NewDense(2, 1, []float64{-1, 2}), LogScale: mat.NewDense(1, 1, []float64{0})},
	}
	x := mat.NewDense(2, 1, []float64{0, 2})
	lp := d.LogProb(nil, x)
	fmt.Printf("log p(0) = %.4f, log p(2) = %.4f\n", lp[0], lp[1])
	var mean, v mat.Dense
	d.Mean(&mean)
	d.Variance(&v)
	fmt.Printf("mean %.2f, variance %.2f\n", mean.At(0, 0), v.At(0, 0))
	// Output:
	// log p(0) = -2.2038, log p(2) = -1.2709
	// mean 1.10, variance 2.89
}

// BenchmarkMixtureLogProbVar measures the log-density and its backward
// pass for 1000 rows of a 5-component, 2-D Gaussian mixture with
// learnable weights and means: tiled (one operation for every row) and
// row at a time (a family MixtureSameFamily cannot tile).
func BenchmarkMixtureLogProbVar(b *testing.B) {
	const n, c, d = 1000, 5, 2
	x := mat.NewDense(n, d, nil)
	rnd := newRand(1)
	for i := range n {
		x.Set(i, 0, 3*rnd.NormFloat64())
		x.Set(i, 1, 3*rnd.NormFloat64())
	}
	for _, bc := range []struct {
		name string
		wrap func(Differentiable) Differentiable
	}{
		{"tiled", func(d Differentiable) Differentiable { return d }},
		{"row-at-a-time", func(d Differentiable) Differentiable { return opaque{d} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				tp := ad.NewTape()
				lw, loc := tp.Var(1, c, make([]float64, c)), tp.Var(c, d, make([]float64, c*d))
				m := MixtureSameFamily{Categorical{lw}, bc.wrap(Normal{loc, s11(0)})}
				tp.Backward(ad.Sum(m.LogProbVar(ad.FromDense(x))))
			}
		})
	}
}
