package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"

	"github.com/vitool/vitool/ad"
)

// Dirichlet is a batch of Dirichlet distributions on the K-simplex with
// concentrations α: density Γ(α₀)/Π_k Γ(α_k) · Π_k x_k^{α_k−1}, α₀ = Σ_k α_k.
//
// Concentration is n×K for a batch of n members or 1×K for one member
// broadcast to any number of rows (a *mat.Dense, or an *ad.Var to
// differentiate); every entry must be positive. An event is one row of K
// columns. The methods panic if Concentration is nil, empty or has fewer
// than two columns.
type Dirichlet struct {
	Concentration mat.Matrix
}

var (
	_ Reparameterizer = Dirichlet{}
	_ Entropier       = Dirichlet{}
	_ Supporter       = Dirichlet{}
)

func (d Dirichlet) dims() (n, k int) {
	if d.Concentration == nil {
		panic("dist: Dirichlet: nil Concentration")
	}
	if n, k = d.Concentration.Dims(); n == 0 || k < 2 {
		panic(fmt.Sprintf("dist: Dirichlet: Concentration is %d×%d, want n×K with K ≥ 2", n, k))
	}
	return n, k
}

// Dim returns K.
func (d Dirichlet) Dim() int { _, k := d.dims(); return k }

// Len returns the number of rows of Concentration.
func (d Dirichlet) Len() int { n, _ := d.dims(); return n }

// Support returns Simplex.
func (d Dirichlet) Support() Support { d.dims(); return Simplex }

// logNorm returns log Γ(α₀) − Σ log Γ(α_k) of a row.
func dirichletLogNorm(a []float64) float64 {
	var s, l float64
	for _, v := range a {
		s += v
		l -= lgamma(v)
	}
	return l + lgamma(s)
}

// LogProb stores in dst[i] log Γ(α₀) − Σ_k log Γ(α_k) + Σ_k (α_k − 1) log x_ik
// and returns dst. A row with a negative coordinate scores −Inf; the sum
// to one is not checked.
func (d Dirichlet) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, _ := d.dims()
	xr, dst := checkLogProbArgs("Dirichlet", dst, x, n, d.Dim())
	al := rawOf(d.Concentration)
	for i := range dst {
		a := rowOf(al, member(n, i))
		s := dirichletLogNorm(a)
		for j, v := range rowOf(xr, i) {
			if v < 0 {
				s = negInf
				break
			}
			s += xlogy(a[j]-1, v)
		}
		dst[i] = s
	}
	return dst
}

// LogProbVar returns the log-densities differentiable with respect to x
// and Concentration: ∂/∂α_k = log x_k + ψ(α₀) − ψ(α_k), ∂/∂x_k =
// (α_k − 1)/x_k.
func (d Dirichlet) LogProbVar(x *ad.Var) *ad.Var {
	n, k := d.dims()
	out := d.LogProb(nil, x)
	al := rawOf(d.Concentration)
	return ad.Custom(len(out), 1, out, []*ad.Var{x, ad.Lift(d.Concentration)}, func(g []float64, grads [][]float64) {
		gx, ga := grads[0], grads[1]
		for i, gi := range g {
			if gi == 0 {
				continue
			}
			m := member(n, i)
			a := rowOf(al, m)
			var a0 float64
			for _, v := range a {
				a0 += v
			}
			psi0 := mathext.Digamma(a0)
			for j, v := range x.Data[i*k : (i+1)*k] {
				if !(v > 0) {
					continue
				}
				if gx != nil {
					gx[i*k+j] += gi * (a[j] - 1) / v
				}
				if ga != nil {
					ga[m*k+j] += gi * (math.Log(v) + psi0 - mathext.Digamma(a[j]))
				}
			}
		}
	})
}

// Detach returns d with the gradient of Concentration stopped.
func (d Dirichlet) Detach() Differentiable { return Dirichlet{detachAll(d.Concentration)[0]} }

// RSampleVar returns n draws X/ΣX, X_k ~ Gamma(α_k, 1), differentiable with
// respect to Concentration by implicit reparameterisation of the gamma
// draws.
func (d Dirichlet) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, k := d.dims()
	n = drawRows("Dirichlet", n, b)
	x := stdGammaVar(ad.Lift(d.Concentration), n, k, rnd)
	return ad.Div(x, ad.SumRows(x))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does. An empty
// dst is resized to Len()×K.
func (d Dirichlet) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, k := d.dims()
	g := prepareDst("Dirichlet", "Sample", dst, n, k)
	v := d.RSampleVar(g.Rows, rnd)
	for i := range g.Rows {
		copy(rowOf(g, i), v.Data[i*k:(i+1)*k])
	}
}

// Entropy stores in dst[i] log B(α) + (α₀ − K)ψ(α₀) − Σ_k (α_k − 1)ψ(α_k).
func (d Dirichlet) Entropy(dst []float64) []float64 {
	n, k := d.dims()
	dst = entropyDst("Dirichlet", dst, n)
	al := rawOf(d.Concentration)
	for i := range dst {
		a := rowOf(al, i)
		var a0, s float64
		for _, v := range a {
			a0 += v
			s -= (v - 1) * mathext.Digamma(v)
		}
		dst[i] = -dirichletLogNorm(a) + (a0-float64(k))*mathext.Digamma(a0) + s
	}
	return dst
}

// moments fills dst (resized if empty) with f(α_k, α₀) per member and
// coordinate.
func (d Dirichlet) moments(method string, dst *mat.Dense, f func(a, a0 float64) float64) {
	n, k := d.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, k)
	}
	if r, c := dst.Dims(); r != n || c != k {
		panic(fmt.Sprintf("dist: Dirichlet.%s: dst is %d×%d, want %d×%d", method, r, c, n, k))
	}
	al := rawOf(d.Concentration)
	for i := range n {
		a := rowOf(al, i)
		var a0 float64
		for _, v := range a {
			a0 += v
		}
		for j, v := range a {
			dst.Set(i, j, f(v, a0))
		}
	}
}

// Mean stores α/α₀ in dst.
func (d Dirichlet) Mean(dst *mat.Dense) {
	d.moments("Mean", dst, func(a, a0 float64) float64 { return a / a0 })
}

// Variance stores the marginal variances α_k(α₀ − α_k)/(α₀²(α₀ + 1)) in dst.
func (d Dirichlet) Variance(dst *mat.Dense) {
	d.moments("Variance", dst, func(a, a0 float64) float64 { return a * (a0 - a) / (a0 * a0 * (a0 + 1)) })
}
