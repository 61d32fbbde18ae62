package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
)

// Implicit reparameterisation gradients (Figurnov, Mohamed and Mnih 2018).
// A draw x ~ Gamma(α, 1) is x = F⁻¹(u; α) for the regularised lower
// incomplete gamma function F(x; α) = P(α, x) and u uniform; holding u
// fixed,
//
//	dx/dα = −(∂P/∂α)(α, x) / p(x; α),
//
// where p = ∂P/∂x is the density. ∂P/∂α is computed to working accuracy by
// differentiating, term by term (forward-mode), the two classical
// expansions of the incomplete gamma function: the power series of P for
// x < α + 1, whose terms all have one sign there, and Legendre's continued
// fraction for the upper function Q = 1 − P otherwise, evaluated by the
// modified Lentz method. Both are checked against finite differences of
// gonum's mathext.GammaIncReg in the tests.

// gammaMaxIter bounds the terms of either expansion. Both need O(√α)
// terms near x ≈ α, so this covers α up to about 10¹⁰.
const gammaMaxIter = 1_000_000

// stdGammaDx returns dx/dα for x ~ Gamma(α, 1) at the point x.
func stdGammaDx(a, x float64) float64 {
	if !(x > 0) || !(a > 0) {
		return 0
	}
	lx := math.Log(x)
	if x < a+1 {
		// P = e^{a ln x − x − lgamma(a+1)}·S, S = Σ_n xⁿ/((a+1)…(a+n)),
		// and p = x^{a−1}e^{−x}/Γ(a), so
		// dx/da = −(x/a)·(S·(ln x − ψ(a+1)) + dS/da).
		term, dterm := 1.0, 0.0 // t_n and dt_n/da
		s, ds := 1.0, 0.0
		for n := 1; n < gammaMaxIter; n++ {
			ap := a + float64(n)
			// t_n = t_{n−1}·x/(a+n); dt_n = dt_{n−1}·x/(a+n) − t_n/(a+n).
			term *= x / ap
			dterm = dterm*x/ap - term/ap
			s += term
			ds += dterm
			if term < s*1e-17 && math.Abs(dterm) <= math.Abs(ds)*1e-17 {
				break
			}
		}
		return -(x / a) * (s*(lx-mathext.Digamma(a+1)) + ds)
	}
	// Q = e^{a ln x − x − lgamma(a)}·h with h the continued fraction
	// 1/(x+1−a− 1(1−a)/(x+3−a− 2(2−a)/(x+5−a− …))); dP/da = −dQ/da and
	// dx/da = dQ/da / p = x·(h·(ln x − ψ(a)) + dh/da).
	const tiny = 1e-300
	b, db := x+1-a, -1.0
	c, dc := 1/tiny, 0.0
	d, dd := 1/b, -db/(b*b)
	h, dh := d, dd
	for i := 1; i < gammaMaxIter; i++ {
		fi := float64(i)
		an, dan := -fi*(fi-a), fi
		b += 2
		// d ← 1/(an·d + b)
		den := an*d + b
		dden := dan*d + an*dd + db
		if math.Abs(den) < tiny {
			den = tiny
		}
		d, dd = 1/den, -dden/(den*den)
		// c ← b + an/c
		cn := b + an/c
		dcn := db + (dan*c-an*dc)/(c*c)
		if math.Abs(cn) < tiny {
			cn = tiny
		}
		c, dc = cn, dcn
		del, ddel := d*c, dd*c+d*dc
		h, dh = h*del, dh*del+h*ddel
		if math.Abs(del-1) < 1e-16 && math.Abs(ddel) <= 1e-16*math.Abs(dh) {
			break
		}
	}
	return x * (h*(lx-mathext.Digamma(a)) + dh)
}

// minGamma is the smallest value a gamma draw takes: draws that underflow
// (possible for concentrations far below 1) are raised to the smallest
// normal float64, so that every log-density stays finite.
const minGamma = 0x1p-1022

// stdGamma draws from Gamma(a, 1) with rnd.
func stdGamma(a float64, rnd *rand.Rand) float64 {
	return math.Max(distuv.Gamma{Alpha: a, Beta: 1, Src: rnd}.Rand(), minGamma)
}

// stdGammaVar returns n×d draws X_ij ~ Gamma(α_ij, 1), α broadcast to the
// n×d batch, in row-major order, differentiable with respect to α through
// the implicit reparameterisation gradient dX/dα.
func stdGammaVar(alpha *ad.Var, n, d int, rnd *rand.Rand) *ad.Var {
	v := viewOf(alpha)
	out := make([]float64, n*d)
	for i := range n {
		for j := range d {
			out[i*d+j] = stdGamma(v.data[i*v.rs+j*v.cs], rnd)
		}
	}
	return ad.Custom(n, d, out, []*ad.Var{alpha}, func(g []float64, grads [][]float64) {
		ga := grads[0]
		for i := range n {
			for j := range d {
				k := i*d + j
				if g[k] != 0 {
					p := i*v.rs + j*v.cs
					ga[p] += g[k] * stdGammaDx(v.data[p], out[k])
				}
			}
		}
	})
}
