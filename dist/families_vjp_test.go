package dist

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// familyVJPCases checks the adjoints of the new families' log-densities
// (value and every parameter, with broadcast parameter shapes) and of
// their reparameterised draws, against finite differences. The
// concentrations of the gamma-based families are not perturbed in the
// draws (marked noGrad): a rejection sampler is not a smooth function of
// them; TestImplicitGradientUnbiased checks those gradients instead.
func familyVJPCases() []vjpCase {
	re := func(r, c int) param { return param{r: r, c: c, lo: -1.5, hi: 1.5} }
	pos := func(r, c int) param { return param{r: r, c: c, lo: 0.5, hi: 2.5} }
	unit := func(r, c int) param { return param{r: r, c: c, lo: 0.05, hi: 0.95} }
	simplex := param{r: 3, c: 3, fixed: []float64{0.2, 0.3, 0.5, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1}}
	counts := param{r: 3, c: 2, fixed: []float64{0, 3, 7, 1, 2, 9}}
	rs := func() *rand.Rand { return rand.New(rand.NewPCG(5, 5)) }
	return []vjpCase{
		{"LogNormal", []param{re(1, 2), pos(3, 1), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return LogNormal{v[0], v[1]}.LogProbVar(v[2]) }},
		{"HalfNormal", []param{pos(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return HalfNormal{v[0]}.LogProbVar(v[1]) }},
		{"Cauchy", []param{re(3, 2), pos(1, 1), re(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Cauchy{v[0], v[1]}.LogProbVar(v[2]) }},
		{"HalfCauchy", []param{pos(3, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return HalfCauchy{v[0]}.LogProbVar(v[1]) }},
		{"StudentT", []param{pos(1, 2), re(3, 2), pos(1, 1), re(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return StudentT{v[0], v[1], v[2]}.LogProbVar(v[3])
		}},
		{"Laplace", []param{re(1, 2), pos(3, 2), re(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Laplace{v[0], v[1]}.LogProbVar(v[2]) }},
		{"Exponential", []param{pos(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Exponential{v[0]}.LogProbVar(v[1]) }},
		{"Gamma", []param{pos(3, 2), pos(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Gamma{v[0], v[1]}.LogProbVar(v[2]) }},
		{"InverseGamma", []param{pos(1, 2), pos(3, 1), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return InverseGamma{v[0], v[1]}.LogProbVar(v[2])
		}},
		{"Beta", []param{pos(3, 2), pos(1, 1), unit(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Beta{v[0], v[1]}.LogProbVar(v[2]) }},
		{"Uniform", []param{{r: 1, c: 2, lo: -3, hi: -2}, {r: 3, c: 2, lo: 2, hi: 3}, re(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return Uniform{v[0], v[1]}.LogProbVar(v[2])
		}},
		{"Dirichlet n×K", []param{pos(3, 3), simplex}, nil, func(v []*ad.Var) *ad.Var { return Dirichlet{v[0]}.LogProbVar(v[1]) }},
		{"Dirichlet 1×K", []param{pos(1, 3), simplex}, nil, func(v []*ad.Var) *ad.Var { return Dirichlet{v[0]}.LogProbVar(v[1]) }},
		{"Poisson", []param{pos(1, 2), counts}, map[int]bool{1: true}, func(v []*ad.Var) *ad.Var { return Poisson{v[0]}.LogProbVar(v[1]) }},
		{"Binomial", []param{{r: 1, c: 1, fixed: []float64{9}}, re(3, 2), counts}, map[int]bool{0: true, 2: true}, func(v []*ad.Var) *ad.Var {
			return Binomial{v[0], v[1]}.LogProbVar(v[2])
		}},
		{"Geometric", []param{re(3, 2), counts}, map[int]bool{1: true}, func(v []*ad.Var) *ad.Var { return Geometric{v[0]}.LogProbVar(v[1]) }},
		{"NegativeBinomial", []param{pos(1, 2), re(3, 2), counts}, map[int]bool{2: true}, func(v []*ad.Var) *ad.Var {
			return NegativeBinomial{v[0], v[1]}.LogProbVar(v[2])
		}},

		{"LogNormal.RSampleVar", []param{re(1, 2), pos(3, 1)}, nil, func(v []*ad.Var) *ad.Var { return LogNormal{v[0], v[1]}.RSampleVar(3, rs()) }},
		{"HalfNormal.RSampleVar", []param{pos(1, 2)}, nil, func(v []*ad.Var) *ad.Var { return HalfNormal{v[0]}.RSampleVar(3, rs()) }},
		{"Cauchy.RSampleVar", []param{re(3, 2), pos(1, 1)}, nil, func(v []*ad.Var) *ad.Var { return Cauchy{v[0], v[1]}.RSampleVar(3, rs()) }},
		{"HalfCauchy.RSampleVar", []param{pos(1, 2)}, nil, func(v []*ad.Var) *ad.Var { return HalfCauchy{v[0]}.RSampleVar(3, rs()) }},
		{"Laplace.RSampleVar", []param{re(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Laplace{v[0], v[1]}.RSampleVar(3, rs()) }},
		{"Exponential.RSampleVar", []param{pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return Exponential{v[0]}.RSampleVar(3, rs()) }},
		{"Uniform.RSampleVar", []param{re(1, 2), {r: 3, c: 2, lo: 2, hi: 3}}, nil, func(v []*ad.Var) *ad.Var {
			return Uniform{v[0], v[1]}.RSampleVar(3, rs())
		}},
		{"Gamma.RSampleVar rate", []param{pos(1, 2), pos(3, 2)}, map[int]bool{0: true}, func(v []*ad.Var) *ad.Var {
			return Gamma{v[0], v[1]}.RSampleVar(3, rs())
		}},
		{"InverseGamma.RSampleVar rate", []param{pos(1, 2), pos(3, 2)}, map[int]bool{0: true}, func(v []*ad.Var) *ad.Var {
			return InverseGamma{v[0], v[1]}.RSampleVar(3, rs())
		}},
		{"StudentT.RSampleVar loc, scale", []param{pos(1, 2), re(3, 2), pos(1, 1)}, map[int]bool{0: true}, func(v []*ad.Var) *ad.Var {
			return StudentT{v[0], v[1], v[2]}.RSampleVar(3, rs())
		}},
	}
}

// TestImplicitGradientUnbiased checks the implicit reparameterisation
// gradients of the gamma-based draws: the mean over draws of ∂f(z)/∂θ must
// equal ∂E[f(z)]/∂θ computed in closed form, within zSE standard errors of
// the per-draw gradients.
func TestImplicitGradientUnbiased(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	for _, tc := range []struct {
		name string
		// draw returns n draws as a Var on tp and the parameter whose
		// gradient is checked.
		draw func(tp *ad.Tape) (z, theta *ad.Var)
		// f is the functional averaged, want ∂E[f]/∂θ.
		f    func(z *ad.Var) *ad.Var
		want float64
	}{
		{"Gamma E[z] by α", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 1, []float64{0.3})
			return Gamma{a, s11(2)}.RSampleVar(n, newRand(1)), a
		}, func(z *ad.Var) *ad.Var { return z }, 0.5},
		{"Gamma E[log z] by α", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 1, []float64{4.5})
			return Gamma{a, s11(1)}.RSampleVar(n, newRand(2)), a
		}, ad.Log, ad.Trigamma(4.5)},
		{"Gamma E[z] by α, α = 200", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 1, []float64{200})
			return Gamma{a, s11(1)}.RSampleVar(n, newRand(3)), a
		}, func(z *ad.Var) *ad.Var { return z }, 1},
		{"InverseGamma E[z] by α", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 1, []float64{3.5})
			return InverseGamma{a, s11(2)}.RSampleVar(n, newRand(4)), a
		}, func(z *ad.Var) *ad.Var { return z }, -2 / (2.5 * 2.5)},
		{"Beta E[z] by α", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 1, []float64{0.7})
			return Beta{a, s11(1.8)}.RSampleVar(n, newRand(5)), a
		}, func(z *ad.Var) *ad.Var { return z }, 1.8 / (2.5 * 2.5)},
		{"Beta E[z] by β", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			b := tp.Var(1, 1, []float64{1.8})
			return Beta{s11(0.7), b}.RSampleVar(n, newRand(6)), b
		}, func(z *ad.Var) *ad.Var { return z }, -0.7 / (2.5 * 2.5)},
		{"Dirichlet E[z₀] by α₀", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			a := tp.Var(1, 3, []float64{0.5, 1, 2})
			z := Dirichlet{a}.RSampleVar(n, newRand(7))
			// Only α₀'s gradient is compared: a 1×1 view of it.
			return ad.SliceCols(z, 0, 1), a
		}, func(z *ad.Var) *ad.Var { return z }, 3 / (3.5 * 3.5)},
		{"StudentT E[z²] by ν", func(tp *ad.Tape) (*ad.Var, *ad.Var) {
			nu := tp.Var(1, 1, []float64{6})
			return StudentT{nu, s11(0), s11(1)}.RSampleVar(n, newRand(8)), nu
		}, ad.Square, -2.0 / 16},
	} {
		// The gradient of the mean of f over 50 blocks of draws, one
		// backward pass per block; the spread of the block means gives the
		// standard error.
		tp := ad.NewTape()
		z, theta := tc.draw(tp)
		fz := tc.f(z)
		const batches = 50
		per := n / batches
		sums := make([]float64, batches)
		for b := range batches {
			seed := make([]float64, len(fz.Data))
			for i := b * per; i < (b+1)*per; i++ {
				seed[i] = 1
			}
			tp.ZeroGrad(theta)
			tp.BackwardFrom(fz, seed)
			sums[b] = theta.Grad()[0] / float64(per)
		}
		var m, m2 float64
		for _, s := range sums {
			m += s
		}
		m /= batches
		for _, s := range sums {
			m2 += (s - m) * (s - m)
		}
		se := math.Sqrt(m2 / (batches - 1) / batches)
		if math.Abs(m-tc.want) > zSE*se {
			t.Errorf("%s: mean gradient %v, want %v ± %v", tc.name, m, tc.want, zSE*se)
		}
	}
}

// TestRSampleMatchesSample checks that RSampleVar draws the values Sample
// draws from the same seed, for every reparameterised family.
func TestRSampleMatchesSample(t *testing.T) {
	for _, d := range []Reparameterizer{
		LogNormal{s11(0.3), s11(0.5)}, HalfNormal{s11(2)}, Cauchy{s11(0), s11(1)}, HalfCauchy{s11(1)},
		Laplace{s11(0), s11(1)}, Exponential{s11(2)}, Uniform{s11(-1), s11(1)}, Gamma{s11(0.5), s11(1)},
		InverseGamma{s11(3), s11(1)}, Beta{s11(0.5), s11(2)}, StudentT{s11(3), s11(0), s11(1)},
		Dirichlet{dense([]float64{0.5, 1, 2})},
	} {
		x := mat.NewDense(5, d.Dim(), nil)
		d.Sample(x, newRand(4))
		v := d.RSampleVar(5, newRand(4))
		for i, w := range x.RawMatrix().Data {
			if v.Data[i] != w {
				t.Errorf("%T: Sample %v, RSampleVar %v", d, w, v.Data[i])
				break
			}
		}
	}
}
