package latent

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// LinearGaussian is probabilistic PCA, a linear-Gaussian latent-variable model
// with d latent and D observed dimensions:
//
//	z ~ N(0, I_d),
//	x | z ~ N(W z + b, σ² I_D).
//
// Its evidence is Gaussian, p(x) = N(x; b, W Wᵀ + σ² I_D), and so is its
// posterior, p(z|x) = N(μ, Σ) with precision Λ = Σ⁻¹ = I_d + WᵀW/σ² and mean
// μ = Σ Wᵀ(x − b)/σ². Both are computed in O(D d²) without forming a D×D
// matrix.
//
// The methods read the fields and never modify them, so a LinearGaussian is
// safe for concurrent use as long as nobody writes to W or B meanwhile. They
// assume a valid model (see Validate): they panic on shape mismatches and on
// parameters for which the posterior precision is not positive definite.
type LinearGaussian struct {
	// W is the D×d loading matrix.
	W *mat.Dense
	// B is the offset b, of length D.
	B []float64
	// NoiseStd is the observation noise standard deviation σ > 0.
	NoiseStd float64
}

var (
	_ Model       = LinearGaussian{}
	_ Evidencer   = LinearGaussian{}
	_ Posteriorer = LinearGaussian{}
	_ Simulator   = LinearGaussian{}
)

// NewRandomLinearGaussian returns a LinearGaussian with D observed and d latent
// dimensions whose entries are drawn from rnd: W_jk ~ N(0, 1/d) and
// b_j ~ N(0, 1), in that order (W row by row, then b). The 1/d variance makes
// every coordinate of W z have variance about 1 under the prior, so that
// Var(x_j) ≈ 1 + noiseStd² whatever d is. It panics if D < 1, d < 1, or
// noiseStd is not positive and finite.
func NewRandomLinearGaussian(D, d int, noiseStd float64, rnd *rand.Rand) LinearGaussian {
	if D < 1 || d < 1 {
		panic(fmt.Sprintf("latent: NewRandomLinearGaussian dimensions D=%d, d=%d, want both ≥ 1", D, d))
	}
	if !(noiseStd > 0) || math.IsInf(noiseStd, 1) {
		panic(fmt.Sprintf("latent: NewRandomLinearGaussian noiseStd=%v, want positive and finite", noiseStd))
	}
	scale := 1 / math.Sqrt(float64(d))
	w := make([]float64, D*d)
	for i := range w {
		w[i] = scale * rnd.NormFloat64()
	}
	b := make([]float64, D)
	for i := range b {
		b[i] = rnd.NormFloat64()
	}
	return LinearGaussian{W: mat.NewDense(D, d, w), B: b, NoiseStd: noiseStd}
}

// Validate returns an error describing the first problem found with the
// parameters: an empty W, a B whose length differs from the rows of W, a
// NoiseStd that is not positive and finite, or a NaN or infinite entry in W
// or B. It returns nil for a valid model.
func (m LinearGaussian) Validate() error {
	if m.W == nil || m.W.IsEmpty() {
		return errors.New("latent: LinearGaussian: W is empty")
	}
	D, d := m.W.Dims()
	if len(m.B) != D {
		return fmt.Errorf("latent: LinearGaussian: B has %d entries, want %d (rows of W)", len(m.B), D)
	}
	if !(m.NoiseStd > 0) || math.IsInf(m.NoiseStd, 1) {
		return fmt.Errorf("latent: LinearGaussian: NoiseStd is %v, want a positive finite number", m.NoiseStd)
	}
	for j := 0; j < D; j++ {
		for k := 0; k < d; k++ {
			if v := m.W.At(j, k); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("latent: LinearGaussian: W[%d,%d] is %v, want a finite number", j, k, v)
			}
		}
	}
	for j, v := range m.B {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("latent: LinearGaussian: B[%d] is %v, want a finite number", j, v)
		}
	}
	return nil
}

// LatentDim returns d, the number of columns of W.
func (m LinearGaussian) LatentDim() int {
	_, d := m.W.Dims()
	return d
}

// DataDim returns D, the number of rows of W.
func (m LinearGaussian) DataDim() int {
	D, _ := m.W.Dims()
	return D
}

// Prior returns the standard normal N(0, I_d).
func (m LinearGaussian) Prior() dist.Distribution {
	return dist.StdNormal{D: m.LatentDim()}
}

// densePool holds scratch matrices for LogLikelihood, so that repeated calls
// on chunks of the same size do not allocate.
var densePool = sync.Pool{New: func() any { return new(mat.Dense) }}

// stackDim is the largest data dimension for which LogLikelihood keeps x − b
// on the stack.
const stackDim = 256

// LogLikelihood stores in dst[i] the value of log N(x; W z_i + b, σ² I) for
// row i of z and returns dst. If dst is nil a new slice is allocated. It
// computes all the means with one matrix product, Z Wᵀ, into pooled scratch
// memory, so that calls on same-sized batches do not allocate; it is safe for
// concurrent use. It panics if len(x) != D, z does not have d columns, or
// len(dst) differs from the rows of z.
func (m LinearGaussian) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	D, d := m.W.Dims()
	if len(x) != D {
		panic(fmt.Sprintf("latent: LinearGaussian.LogLikelihood len(x)=%d, want %d", len(x), D))
	}
	n, c := z.Dims()
	if c != d {
		panic(fmt.Sprintf("latent: LinearGaussian.LogLikelihood z has %d columns, want %d", c, d))
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("latent: LinearGaussian.LogLikelihood len(dst)=%d, want %d (rows of z)", len(dst), n))
	}
	if len(m.B) != D {
		panic(fmt.Sprintf("latent: LinearGaussian.LogLikelihood len(B)=%d, want %d", len(m.B), D))
	}

	// r = x − b.
	var stack [stackDim]float64
	var r []float64
	if D <= stackDim {
		r = stack[:D]
	} else {
		r = make([]float64, D)
	}
	for j := range r {
		r[j] = x[j] - m.B[j]
	}

	mu := densePool.Get().(*mat.Dense)
	mu.Mul(z, m.W.T())
	raw := mu.RawMatrix()

	s2 := m.NoiseStd * m.NoiseStd
	c0 := -0.5 * float64(D) * math.Log(2*math.Pi*s2)
	h := -0.5 / s2
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+D]
		row = row[:len(r)]
		var ss float64
		for j, v := range row {
			e := r[j] - v
			ss += e * e
		}
		dst[i] = c0 + h*ss
	}

	mu.Reset()
	densePool.Put(mu)
	return dst
}

// precision returns the posterior precision Λ = I_d + WᵀW/σ² and its
// Cholesky factorisation. It panics if Λ is not positive definite, which
// happens only for invalid parameters (NaN or infinite entries).
func (m LinearGaussian) precision() (*mat.SymDense, *mat.Cholesky) {
	_, d := m.W.Dims()
	lambda := mat.NewSymDense(d, nil)
	lambda.SymOuterK(1/(m.NoiseStd*m.NoiseStd), m.W.T())
	for k := 0; k < d; k++ {
		lambda.SetSym(k, k, lambda.At(k, k)+1)
	}
	var chol mat.Cholesky
	if !chol.Factorize(lambda) {
		panic("latent: LinearGaussian posterior precision is not positive definite; the parameters are invalid (see Validate)")
	}
	return lambda, &chol
}

// posteriorMean returns r = x − b and μ = Λ⁻¹ Wᵀ r / σ².
func (m LinearGaussian) posteriorMean(x []float64, chol *mat.Cholesky) (r, mu []float64) {
	D, d := m.W.Dims()
	if len(x) != D {
		panic(fmt.Sprintf("latent: LinearGaussian len(x)=%d, want %d", len(x), D))
	}
	if len(m.B) != D {
		panic(fmt.Sprintf("latent: LinearGaussian len(B)=%d, want %d", len(m.B), D))
	}
	r = make([]float64, D)
	floats.SubTo(r, x, m.B)
	u := mat.NewVecDense(d, nil)
	u.MulVec(m.W.T(), mat.NewVecDense(D, r))
	u.ScaleVec(1/(m.NoiseStd*m.NoiseStd), u)
	mu = make([]float64, d)
	if err := badCondition(chol.SolveVecTo(mat.NewVecDense(d, mu), u)); err != nil {
		panic("latent: LinearGaussian posterior mean: " + err.Error())
	}
	return r, mu
}

// badCondition returns err unless it only warns of a large but finite
// condition number. Since Λ ⪰ I, that takes a noise far below the scale of W
// (σ < 1e-8 ‖W‖), and the solution gonum still computes is the best
// available.
func badCondition(err error) error {
	var c mat.Condition
	if errors.As(err, &c) && !math.IsInf(float64(c), 0) {
		return nil
	}
	return err
}

// LogEvidence returns the exact log p(x) = log N(x; b, W Wᵀ + σ² I_D).
//
// It uses the matrix determinant lemma, log det(W Wᵀ + σ² I) = D log σ² +
// log det Λ, and writes the quadratic form as the minimum of the joint's,
// (x−b)ᵀ(W Wᵀ + σ² I)⁻¹(x−b) = ‖x − b − W μ‖²/σ² + ‖μ‖² with μ the
// posterior mean (the Woodbury identity in a form that adds non-negative
// terms, so it does not cancel). The cost is O(D d²). It panics if
// len(x) != D.
func (m LinearGaussian) LogEvidence(x []float64) float64 {
	D, _ := m.W.Dims()
	_, chol := m.precision()
	r, mu := m.posteriorMean(x, chol)
	// r ← r − W μ.
	wmu := mat.NewVecDense(D, nil)
	wmu.MulVec(m.W, mat.NewVecDense(len(mu), mu))
	floats.Sub(r, wmu.RawVector().Data)
	s2 := m.NoiseStd * m.NoiseStd
	quad := floats.Dot(r, r)/s2 + floats.Dot(mu, mu)
	logDet := float64(D)*math.Log(s2) + chol.LogDet()
	return -0.5 * (float64(D)*math.Log(2*math.Pi) + logDet + quad)
}

// Posterior returns the exact posterior p(z|x) = N(μ, Σ) as a
// dist.MultivariateNormal; see PosteriorNormal.
func (m LinearGaussian) Posterior(x []float64) dist.Distribution {
	return m.PosteriorNormal(x)
}

// PosteriorNormal returns the exact posterior p(z|x) = N(μ, Σ) with
// Σ = (I + WᵀW/σ²)⁻¹ and μ = Σ Wᵀ(x − b)/σ². It panics if len(x) != D.
func (m LinearGaussian) PosteriorNormal(x []float64) dist.MultivariateNormal {
	_, d := m.W.Dims()
	_, chol := m.precision()
	_, mu := m.posteriorMean(x, chol)
	sigma := mat.NewSymDense(d, nil)
	if err := badCondition(chol.InverseTo(sigma)); err != nil {
		panic("latent: LinearGaussian posterior covariance: " + err.Error())
	}
	var cs mat.Cholesky
	if !cs.Factorize(sigma) {
		panic("latent: LinearGaussian posterior covariance is not positive definite")
	}
	l := mat.NewTriDense(d, mat.Lower, nil)
	cs.LTo(l)
	return dist.MultivariateNormal{Loc: mat.NewDense(1, d, mu), Chol: l}
}

// MeanField returns the optimal mean-field approximation to p(z|x): the
// diagonal Gaussian q(z) = Π_k N(z_k; m_k, s_k²) that maximises the ELBO, as a
// dist.Normal with one member (1×d Loc and LogScale).
//
// Its mean is the posterior mean μ and its variances are s_k² = 1/Λ_kk, the
// reciprocals of the diagonal of the posterior precision Λ = I + WᵀW/σ². Since
// (Λ⁻¹)_kk ≥ 1/Λ_kk, these are never larger than the posterior marginal
// variances Σ_kk, and smaller whenever latent k is correlated with another a
// posteriori: maximising the ELBO minimises the reverse divergence KL(q‖p),
// which penalises mass that q puts where p has little and so makes q fit
// inside p rather than cover it. The remaining gap is
// log p(x) − ELBO(q) = KL(q‖p(z|x)) = ½(Σ_k log Λ_kk − log det Λ) ≥ 0,
// zero exactly when Λ is diagonal (the columns of W are orthogonal).
func (m LinearGaussian) MeanField(x []float64) dist.Normal {
	_, d := m.W.Dims()
	lambda, chol := m.precision()
	_, mu := m.posteriorMean(x, chol)
	ls := make([]float64, d)
	for k := range ls {
		ls[k] = -0.5 * math.Log(lambda.At(k, k))
	}
	return dist.Normal{Loc: mat.NewDense(1, d, mu), LogScale: mat.NewDense(1, d, ls)}
}

// ELBO returns the evidence lower bound for x under a diagonal Gaussian
// q(z) = Π_k N(z_k; m_k, s_k²) with one member (q.Loc and q.LogScale 1×d),
// in closed form:
//
//	ELBO = E_q[log p(x|z)] − KL(q ‖ p(z))
//	     = −(D/2) log(2πσ²) − (‖x − b − W m‖² + Σ_k s_k² ‖W_{:,k}‖²)/(2σ²)
//	       − ½ Σ_k (s_k² + m_k² − 1 − 2 log s_k).
//
// It equals LogEvidence(x) − KL(q ‖ p(z|x)), so it is at most LogEvidence(x),
// with equality only when q is the posterior. It panics if len(x) != D or q
// is not a single member of dimension d.
func (m LinearGaussian) ELBO(x []float64, q dist.Normal) float64 {
	D, d := m.W.Dims()
	if len(x) != D || len(m.B) != D {
		panic(fmt.Sprintf("latent: LinearGaussian.ELBO len(x)=%d, want %d", len(x), D))
	}
	if q.Loc == nil || q.LogScale == nil {
		panic("latent: LinearGaussian.ELBO q has nil Loc or LogScale")
	}
	if r, c := q.Loc.Dims(); r != 1 || c != d {
		panic(fmt.Sprintf("latent: LinearGaussian.ELBO q.Loc is %d×%d, want 1×%d", r, c, d))
	}
	if r, c := q.LogScale.Dims(); r != 1 || c != d {
		panic(fmt.Sprintf("latent: LinearGaussian.ELBO q.LogScale is %d×%d, want 1×%d", r, c, d))
	}
	loc := mat.Row(nil, 0, q.Loc)
	ls := mat.Row(nil, 0, q.LogScale)

	// e = x − b − W m.
	e := mat.NewVecDense(D, nil)
	e.MulVec(m.W, mat.NewVecDense(d, loc))
	ev := e.RawVector().Data
	for j := range ev {
		ev[j] = x[j] - m.B[j] - ev[j]
	}
	sq := floats.Dot(ev, ev)
	var kl float64
	for k := 0; k < d; k++ {
		s2k := math.Exp(2 * ls[k])
		var colSq float64
		for j := 0; j < D; j++ {
			w := m.W.At(j, k)
			colSq += w * w
		}
		sq += s2k * colSq
		kl += s2k + loc[k]*loc[k] - 1 - 2*ls[k]
	}
	s2 := m.NoiseStd * m.NoiseStd
	ell := -0.5*float64(D)*math.Log(2*math.Pi*s2) - 0.5*sq/s2
	return ell - 0.5*kl
}

// SampleData fills every row of dst with an independent draw from p(x):
// z ~ N(0, I_d) then x = W z + b + σ ε with ε ~ N(0, I_D). It draws all of
// Z first (row by row), then all of ε. It panics if dst does not have D
// columns.
func (m LinearGaussian) SampleData(dst *mat.Dense, rnd *rand.Rand) {
	D, d := m.W.Dims()
	n, c := dst.Dims()
	if c != D {
		panic(fmt.Sprintf("latent: LinearGaussian.SampleData dst has %d columns, want %d", c, D))
	}
	zs := make([]float64, n*d)
	for i := range zs {
		zs[i] = rnd.NormFloat64()
	}
	dst.Mul(mat.NewDense(n, d, zs), m.W.T())
	for i := 0; i < n; i++ {
		row := dst.RawRowView(i)
		for j := range row {
			row[j] += m.B[j] + m.NoiseStd*rnd.NormFloat64()
		}
	}
}
