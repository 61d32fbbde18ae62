package mixture

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/ppl"
)

// Names of the parameters in a ppl.ParamStore, and of the plate over the
// data points.
const (
	// ParamLogits holds the mixing logits α (1×C): π = softmax(α).
	ParamLogits = "mix.logits"
	// ParamMeans holds the component means μ (C×2), one per row.
	ParamMeans = "mix.means"
	// ParamScale holds σ (1×1), the shared noise scale, constrained to be
	// positive (ppl.Positive: the store keeps log σ).
	ParamScale = "mix.scale"
	// ParamGuideW holds the guide's weights W (C×2).
	ParamGuideW = "guide.w"
	// ParamGuideB holds the guide's biases b (1×C).
	ParamGuideB = "guide.b"
	// PlateName names the plate over the data points (the rows of x) that
	// Model and Guide open.
	PlateName = "data"
)

// Dim is the dimension of a data point.
const Dim = 2

// InitRadius is the radius of the circle on which the initial means lie.
const InitRadius = 1.0

// Mixture is the model and guide for C components (see the package
// documentation). Its methods are the ppl.Model and ppl.Guide functions and
// the exact computations by enumeration of the C classes; they panic if
// C < 1, and the exact computations panic for a data point whose length is
// not Dim (Model and Guide return such mistakes as ppl errors).
//
// A Mixture holds no state: the parameters live in the ParamStore of a run,
// so one Mixture serves any number of stores concurrently.
type Mixture struct {
	// C is the number of components.
	C int
}

func (m Mixture) check() {
	if m.C < 1 {
		panic(fmt.Sprintf("mixture: %d components, want at least 1", m.C))
	}
}

func checkPoint(x []float64) {
	if len(x) != Dim {
		panic(fmt.Sprintf("mixture: data point has %d values, want %d", len(x), Dim))
	}
}

// InitialMeans returns the initial means (C×2): C points evenly spaced on
// the circle of radius InitRadius about the origin, the first at the top.
// Distinct initial means break the symmetry between the components: with
// equal means every component would receive the same gradient and they
// would never separate. The default data are centred near the origin with
// a spread of a few units, so the circle lies inside the data cloud.
func (m Mixture) InitialMeans() *mat.Dense {
	m.check()
	mu := mat.NewDense(m.C, Dim, nil)
	for c := range m.C {
		a := math.Pi/2 + 2*math.Pi*float64(c)/float64(m.C)
		mu.Set(c, 0, InitRadius*math.Cos(a))
		mu.Set(c, 1, InitRadius*math.Sin(a))
	}
	if m.C == 1 {
		mu.Zero()
	}
	return mu
}

// initial returns the initial value of parameter name, in its constrained
// space: uniform weights, InitialMeans, σ = 1, and the guide at the exact
// posterior of that initial model, W_c = μ_c/σ² and b_c = log π_c −
// |μ_c|²/(2σ²) (the log π_c are equal and dropped).
func (m Mixture) initial(name string) *mat.Dense {
	switch name {
	case ParamLogits:
		return mat.NewDense(1, m.C, nil)
	case ParamMeans:
		return m.InitialMeans()
	case ParamScale:
		return mat.NewDense(1, 1, []float64{1})
	case ParamGuideW:
		return m.InitialMeans()
	case ParamGuideB:
		b := mat.NewDense(1, m.C, nil)
		mu := m.InitialMeans()
		for c := range m.C {
			r := mu.RawRowView(c)
			b.Set(0, c, -0.5*(r[0]*r[0]+r[1]*r[1]))
		}
		return b
	}
	panic("mixture: unknown parameter " + name)
}

// Initializer returns the initialiser of parameter name, which Model and
// Guide pass to Tracer.Param: it is called once, when a store first sees
// the parameter, so the runs of an SVI step build no initial values. It
// panics for a name not in ParamNames.
func (m Mixture) Initializer(name string) ppl.Init {
	m.check()
	m.initial(name) // check the name now
	return func(*rand.Rand) *mat.Dense { return m.initial(name) }
}

// Constraint returns the constraint of parameter name: ppl.Positive for
// ParamScale, nil (unconstrained) for the others.
func Constraint(name string) ppl.Constraint {
	if name == ParamScale {
		return ppl.Positive
	}
	return nil
}

// ParamNames returns the names of the parameters, the model's then the
// guide's.
func ParamNames() []string {
	return []string{ParamLogits, ParamMeans, ParamScale, ParamGuideW, ParamGuideB}
}

// Init sets every parameter in store to its initial value (the values Model
// and Guide register on first use), replacing any value already there.
func (m Mixture) Init(store *ppl.ParamStore) {
	m.check()
	for _, n := range ParamNames() {
		if err := store.Set(n, m.initial(n), Constraint(n)); err != nil {
			panic("mixture: " + err.Error()) // the initial values lie in their supports
		}
	}
}

// param reads parameter name in a run, registering its initial value and
// constraint on first use.
func (m Mixture) param(t *ppl.Tracer, name string) *ad.Var {
	if c := Constraint(name); c != nil {
		return t.Param(name, m.Initializer(name), c)
	}
	return t.Param(name, m.Initializer(name))
}

// Model is the generative model p(x, c) as a ppl.Model. x holds the data
// points, one per row (N×2); a plate over them, PlateName, draws a class
// for every point at once: the latent site "c" is one (K·B)×1 site for K
// particles and the B points the plate visits (all N, or a random subset
// when the objective subsamples), and the observed site "x" scores the
// points under the means of their classes.
func (m Mixture) Model(t *ppl.Tracer, x *ad.Var) {
	m.check()
	logits := m.param(t, ParamLogits) // 1×C, shared by every particle and point
	means := m.param(t, ParamMeans)   // C×2
	sigma := m.param(t, ParamScale)   // 1×1, positive
	t.Plate(PlateName, x.R, func(p *ppl.Plate) {
		c := t.Sample("c", dist.Categorical{Logits: logits}) // (K·B)×1 class indices
		loc := ad.Rows(means, ppl.Classes(c))                // (K·B)×2: each row's class mean
		t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Log(sigma)}, p.Data(x))
	})
}

// Guide is the amortised variational family q(c | x) = Categorical(softmax(
// W x + b)) as a ppl.Guide, vectorised over the plate of data points like
// Model. It contains the exact posterior (see the package documentation).
func (m Mixture) Guide(t *ppl.Tracer, x *ad.Var) {
	m.check()
	w := m.param(t, ParamGuideW) // C×2
	b := m.param(t, ParamGuideB) // 1×C
	t.Plate(PlateName, x.R, func(p *ppl.Plate) {
		logits := ad.Add(ad.MatMul(p.Data(x), ad.Transpose(w)), b) // (K·B)×C
		t.Sample("c", dist.Categorical{Logits: logits})
	})
}

// guideLogits stores W x + b in dst (length C) and returns dst.
func guideLogits(dst []float64, w, b *mat.Dense, x []float64) []float64 {
	for c := range dst {
		r := w.RawRowView(c)
		dst[c] = r[0]*x[0] + r[1]*x[1] + b.At(0, c)
	}
	return dst
}

// get returns parameter name from store, or its initial value if the store
// lacks it.
func (m Mixture) get(store *ppl.ParamStore, name string) *mat.Dense {
	if p := store.Get(name); p != nil {
		return p
	}
	return m.initial(name)
}

// Gaussian returns the model at the parameters in store (initial values for
// those it lacks) as a latent.GaussianMixture: weights softmax(α), means μ
// and standard deviation σ in every coordinate. It panics if a stored
// parameter has the wrong shape.
func (m Mixture) Gaussian(store *ppl.ParamStore) latent.GaussianMixture {
	m.check()
	logits, means, scale := m.get(store, ParamLogits), m.get(store, ParamMeans), m.get(store, ParamScale)
	if r, c := logits.Dims(); r != 1 || c != m.C {
		panic(fmt.Sprintf("mixture: %s is %d×%d, want 1×%d", ParamLogits, r, c, m.C))
	}
	if r, c := means.Dims(); r != m.C || c != Dim {
		panic(fmt.Sprintf("mixture: %s is %d×%d, want %d×%d", ParamMeans, r, c, m.C, Dim))
	}
	if r, c := scale.Dims(); r != 1 || c != 1 {
		panic(fmt.Sprintf("mixture: %s is %d×%d, want 1×1", ParamScale, r, c))
	}
	l := logits.RawRowView(0)
	lse := floats.LogSumExp(l)
	w := make([]float64, m.C)
	for c, v := range l {
		w[c] = math.Exp(v - lse)
	}
	stds := mat.NewDense(m.C, Dim, nil)
	sigma := scale.At(0, 0)
	for c := range m.C {
		for j := range Dim {
			stds.Set(c, j, sigma)
		}
	}
	return latent.GaussianMixture{Weights: w, Means: mat.DenseCopyOf(means), Stds: stds}
}

// Exact returns the exact log p(x) at the parameters in store, the
// log-sum-exp over the C classes computed by latent.GaussianMixture. It has
// the signature of cli.Model.Exact.
func (m Mixture) Exact(store *ppl.ParamStore, x []float64) float64 {
	checkPoint(x)
	return m.Gaussian(store).LogEvidence(x)
}

// enumeration holds, for one data point, the guide's log-probabilities
// log q(c|x), the log-joints log p(x, c) and the mixing log-weights
// log π_c, for every class c.
type enumeration struct {
	logQ, logJoint, logPi []float64
	sigma                 float64
	means                 *mat.Dense
}

func (m Mixture) enumerate(store *ppl.ParamStore, x []float64) enumeration {
	checkPoint(x)
	gm := m.Gaussian(store)
	e := enumeration{
		logQ:     make([]float64, m.C),
		logJoint: make([]float64, m.C),
		logPi:    make([]float64, m.C),
		sigma:    gm.Stds.At(0, 0),
		means:    gm.Means,
	}
	z := mat.NewDense(m.C, 1, nil)
	for c := range m.C {
		z.Set(c, 0, float64(c))
		e.logPi[c] = math.Log(gm.Weights[c])
	}
	gm.LogLikelihood(e.logJoint, x, z)
	for c := range e.logJoint {
		e.logJoint[c] += e.logPi[c]
	}
	w, b := m.get(store, ParamGuideW), m.get(store, ParamGuideB)
	if r, c := w.Dims(); r != m.C || c != Dim {
		panic(fmt.Sprintf("mixture: %s is %d×%d, want %d×%d", ParamGuideW, r, c, m.C, Dim))
	}
	if r, c := b.Dims(); r != 1 || c != m.C {
		panic(fmt.Sprintf("mixture: %s is %d×%d, want 1×%d", ParamGuideB, r, c, m.C))
	}
	guideLogits(e.logQ, w, b, x)
	lse := floats.LogSumExp(e.logQ)
	for c := range e.logQ {
		e.logQ[c] -= lse
	}
	return e
}

// elbo returns Σ_c q_c (log p(x,c) − log q_c), classes with q_c = 0
// contributing nothing, and the integrand f_c.
func (e enumeration) elbo() (float64, []float64) {
	f := make([]float64, len(e.logQ))
	var s float64
	for c, lq := range e.logQ {
		f[c] = e.logJoint[c] - lq
		if q := math.Exp(lq); q > 0 {
			s += q * f[c]
		}
	}
	return s, f
}

// ExactELBO returns the exact ELBO E_q[log p(x, c) − log q(c|x)] at the
// parameters in store, by summing over the C classes. It equals Exact(store,
// x) − KL(q(c|x) ‖ p(c|x)).
func (m Mixture) ExactELBO(store *ppl.ParamStore, x []float64) float64 {
	v, _ := m.enumerate(store, x).elbo()
	return v
}

// Posterior returns the exact posterior probabilities p(c|x) (the model's)
// and the guide's q(c|x) at the parameters in store.
func (m Mixture) Posterior(store *ppl.ParamStore, x []float64) (p, q []float64) {
	e := m.enumerate(store, x)
	lse := floats.LogSumExp(e.logJoint)
	p, q = make([]float64, m.C), make([]float64, m.C)
	for c := range p {
		p[c] = math.Exp(e.logJoint[c] - lse)
		q[c] = math.Exp(e.logQ[c])
	}
	return p, q
}

// ELBOGradient returns the exact ELBO at x and its exact gradient with
// respect to every parameter's stored (unconstrained) value — log σ for the
// positive σ — by enumeration, in closed form: with
// q_c = q(c|x), f_c = log p(x, c) − log q_c and L = Σ_c q_c f_c,
//
//	∂L/∂b_c = q_c (f_c − L),          ∂L/∂W_cj = q_c (f_c − L) x_j,
//	∂L/∂α_c = q_c − π_c,              ∂L/∂μ_cj = q_c (x_j − μ_cj)/σ²,
//	∂L/∂log σ = Σ_c q_c (|x − μ_c|²/σ² − 2).
//
// This is the quantity whose unbiased estimate ppl.Gradient returns with
// Objective{Bound: ppl.BoundELBO, Estimator: ppl.Standard} for the 1×2
// data x (a plate of one point); for N points, the gradient is the sum of
// theirs.
func (m Mixture) ELBOGradient(store *ppl.ParamStore, x []float64) (float64, ppl.Grads) {
	e := m.enumerate(store, x)
	l, f := e.elbo()
	g := ppl.Grads{
		ParamLogits: mat.NewDense(1, m.C, nil),
		ParamMeans:  mat.NewDense(m.C, Dim, nil),
		ParamScale:  mat.NewDense(1, 1, nil),
		ParamGuideW: mat.NewDense(m.C, Dim, nil),
		ParamGuideB: mat.NewDense(1, m.C, nil),
	}
	s2 := e.sigma * e.sigma
	var dls float64
	for c := range m.C {
		q := math.Exp(e.logQ[c])
		g[ParamLogits].Set(0, c, q-math.Exp(e.logPi[c]))
		if q == 0 {
			continue
		}
		score := q * (f[c] - l)
		g[ParamGuideB].Set(0, c, score)
		var d2 float64
		for j := range Dim {
			d := x[j] - e.means.At(c, j)
			d2 += d * d
			g[ParamGuideW].Set(c, j, score*x[j])
			g[ParamMeans].Set(c, j, q*d/s2)
		}
		dls += q * (d2/s2 - Dim)
	}
	g[ParamScale].Set(0, 0, dls)
	return l, g
}
