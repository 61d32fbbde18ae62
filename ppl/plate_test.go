package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// The hierarchical model: a global mean μ ~ N(0, s0²), and for each of the
// n data points (rows of x) a local z_i ~ N(μ, 1) and x_i ~ N(z_i, σ²). Its
// guide is mean-field: μ ~ N(m, e^{2s}), z_i ~ N(a_i, e^{2b_i}) with a row
// of the parameters "q.a" and "q.b" per point.
const (
	hierS0    = 2.0
	hierSigma = 0.5
)

var hierX = []float64{1.2, 0.3, 2.1, 1.7, -0.4, 0.9, 1.5, 2.6}

func hierModel(t *Tracer, x *ad.Var) {
	mu := t.Sample("mu", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(math.Log(hierS0))})
	t.Plate("data", x.R, func(p *Plate) {
		z := t.Sample("z", dist.Normal{Loc: p.Expand(mu), LogScale: ad.Scalar(0)})
		t.Observe("x", dist.Normal{Loc: z, LogScale: ad.Scalar(math.Log(hierSigma))}, p.Data(x))
	})
}

func hierGuide(t *Tracer, x *ad.Var) {
	n := x.R
	m := t.Param("q.m", Zeros(1, 1))
	s := t.Param("q.s", Zeros(1, 1))
	a := t.Param("q.a", Zeros(n, 1))
	b := t.Param("q.b", Zeros(n, 1))
	t.Sample("mu", dist.Normal{Loc: m, LogScale: s})
	t.Plate("data", n, func(p *Plate) {
		t.Sample("z", dist.Normal{Loc: p.Gather(a), LogScale: p.Gather(b)})
	})
}

// hierELBO is the guide's ELBO in closed form at θ = (m, s, a_1…a_n,
// b_1…b_n).
func hierELBO(x, th []float64) float64 {
	n := len(x)
	m, vm := th[0], math.Exp(2*th[1])
	elbo := -0.5*math.Log(2*math.Pi*hierS0*hierS0) - (m*m+vm)/(2*hierS0*hierS0) + 0.5*math.Log(2*math.Pi*math.E*vm)
	for i := range n {
		a, v := th[2+i], math.Exp(2*th[2+n+i])
		elbo += -0.5*math.Log(2*math.Pi) - ((a-m)*(a-m)+v+vm)/2
		elbo += -0.5*math.Log(2*math.Pi*hierSigma*hierSigma) - ((x[i]-a)*(x[i]-a)+v)/(2*hierSigma*hierSigma)
		elbo += 0.5 * math.Log(2*math.Pi*math.E*v)
	}
	return elbo
}

func hierParams(n int) []float64 {
	th := make([]float64, 2+2*n)
	th[0], th[1] = 0.8, -0.5
	for i := range n {
		th[2+i] = 0.1 * float64(i)
		th[2+n+i] = -0.3
	}
	return th
}

func hierStore(th []float64, n int) *ParamStore {
	store := NewParamStore(0)
	store.Set("q.m", mat.NewDense(1, 1, []float64{th[0]}), nil)
	store.Set("q.s", mat.NewDense(1, 1, []float64{th[1]}), nil)
	store.Set("q.a", col(th[2:2+n]), nil)
	store.Set("q.b", col(th[2+n:]), nil)
	return store
}

// TestPlateSubsampleUnbiased checks that with a subsampled plate (3 of 8
// points per gradient) the ELBO estimate and its gradient average to the
// exact full-data ELBO and gradient within 4 standard errors.
func TestPlateSubsampleUnbiased(t *testing.T) {
	n := len(hierX)
	th := hierParams(n)
	exact := fd.Gradient(nil, func(v []float64) float64 { return hierELBO(hierX, v) }, th, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	store := hierStore(th, n)
	grads, vals := gradientDraws(t, hierModel, hierGuide, store, col(hierX), Objective{K: 2, Subsample: 3}, 2000, 21, "q.m", "q.s", "q.a", "q.b")
	checkUnbiased(t, "subsampled", grads, exact)
	m, s := meanSE(vals)
	t.Logf("subsampled ELBO %.4f ± %.4f, exact %.4f", m, s, hierELBO(hierX, th))
	if want := hierELBO(hierX, th); math.Abs(m-want) > 4*s {
		t.Errorf("ELBO %v ± %v, exact %v", m, s, want)
	}
}

// TestPlateEvidence estimates log p(x) of the hierarchical model by
// importance sampling (every member is visited outside SVI) and compares it
// with the exact value: x ~ N(0, s0²·11ᵀ + (1 + σ²)·I).
func TestPlateEvidence(t *testing.T) {
	n := len(hierX)
	cov := mat.NewSymDense(n, nil)
	for i := range n {
		for j := range n {
			v := hierS0 * hierS0
			if i == j {
				v += 1 + hierSigma*hierSigma
			}
			cov.SetSym(i, j, v)
		}
	}
	mvn, ok := distmv.NewNormal(make([]float64, n), cov, nil)
	if !ok {
		t.Fatal("covariance not positive definite")
	}
	exact := mvn.LogProb(hierX)
	// A guide near the posterior: z_i at the shrunk data, μ at their mean.
	th := hierParams(n)
	var xbar float64
	for i, v := range hierX {
		th[2+i] = v / (1 + hierSigma*hierSigma)
		xbar += v / float64(n)
	}
	th[0], th[1] = xbar, math.Log(0.4)
	store := hierStore(th, n)
	est, err := Importance(hierModel, hierGuide, store, col(hierX), 20000, mc.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("IS %.4f ± %.4f (k̂ %.2f), exact %.4f", est.LogPX, est.StdErr, est.KHat, exact)
	if math.Abs(est.LogPX-exact) > 4*est.StdErr+1e-3 {
		t.Errorf("IS %v ± %v, exact %v", est.LogPX, est.StdErr, exact)
	}
}

// The local-discrete model: a component c_i ~ Categorical(π) and
// x_i ~ N(μ_{c_i}, 1) for every point, with a guide q(c_i) per point
// (logits "q.logits", a row per point). localMixture puts the points in a
// plate; flatMixture names one site per point, outside any plate, so that
// every score term is weighted by the whole log-weight.
var (
	lmPi = []float64{0.3, 0.7}
	lmMu = []float64{-1, 1.5}
	lmX  = []float64{-0.8, 1.2, 0.4, 2.0, -1.5, 0.9}
)

var lmLogits = ad.Row([]float64{math.Log(0.3), math.Log(0.7)})

func localMixture(t *Tracer, x *ad.Var) {
	t.Plate("data", x.R, func(p *Plate) {
		c := t.Sample("c", dist.Categorical{Logits: lmLogits})
		t.Observe("x", dist.Normal{Loc: ad.Rows(ad.Col(lmMu), Classes(c)), LogScale: ad.Scalar(0)}, p.Data(x))
	})
}

func flatMixture(t *Tracer, x *ad.Var) {
	for i := range x.R {
		c := t.Sample("c"+strconv.Itoa(i), dist.Categorical{Logits: lmLogits})
		t.Observe("x"+strconv.Itoa(i), dist.Normal{Loc: ad.Rows(ad.Col(lmMu), Classes(c)), LogScale: ad.Scalar(0)}, ad.Rows(x, []int{i}))
	}
}

func localGuide(t *Tracer, x *ad.Var) {
	l := t.Param("q.logits", Zeros(x.R, 2))
	t.Plate("data", x.R, func(p *Plate) {
		t.Sample("c", dist.Categorical{Logits: p.Gather(l)})
	})
}

func flatGuide(t *Tracer, x *ad.Var) {
	l := t.Param("q.logits", Zeros(x.R, 2))
	for i := range x.R {
		t.Sample("c"+strconv.Itoa(i), dist.Categorical{Logits: ad.Rows(l, []int{i})})
	}
}

// lmELBO is the exact ELBO by enumeration, a sum over the points.
func lmELBO(logits []float64) float64 {
	var elbo float64
	for i, x := range lmX {
		l0, l1 := logits[2*i], logits[2*i+1]
		lse := math.Log(math.Exp(l0) + math.Exp(l1))
		for c, l := range []float64{l0, l1} {
			lq := l - lse
			lik := -0.5*math.Log(2*math.Pi) - (x-lmMu[c])*(x-lmMu[c])/2
			elbo += math.Exp(lq) * (math.Log(lmPi[c]) + lik - lq)
		}
	}
	return elbo
}

// TestPlateRaoBlackwellises checks that the score-function gradient of
// discrete sites in a plate is unbiased and has a lower variance than the
// same sites outside a plate, whose score terms carry the other points'
// noise.
func TestPlateRaoBlackwellises(t *testing.T) {
	logits := make([]float64, 2*len(lmX))
	for i := range logits {
		logits[i] = 0.2 * float64(i%3)
	}
	exact := fd.Gradient(nil, lmELBO, logits, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	const n = 1000
	variance := map[string]float64{}
	for _, tc := range []struct {
		name         string
		model, guide func(*Tracer, *ad.Var)
	}{{"plate", localMixture, localGuide}, {"no plate", flatMixture, flatGuide}} {
		store := NewParamStore(0)
		store.Set("q.logits", mat.NewDense(len(lmX), 2, logits), nil)
		grads, _ := gradientDraws(t, tc.model, tc.guide, store, col(lmX), Objective{K: 2}, n, 22, "q.logits")
		variance[tc.name] = checkUnbiased(t, tc.name, grads, exact)
	}
	t.Logf("score-function gradient variance over %d points: plate %.4g, no plate %.4g", len(lmX), variance["plate"], variance["no plate"])
	if !(variance["plate"] < variance["no plate"]/2) {
		t.Errorf("plate variance %v not below half of %v", variance["plate"], variance["no plate"])
	}
}

func TestPlateErrors(t *testing.T) {
	x := col([]float64{1, 2, 3})
	noPlateModel := func(t *Tracer, x *ad.Var) {
		mu := t.Sample("mu", dist.StdNormal{D: 1})
		t.Observe("x", dist.Normal{Loc: mu, LogScale: ad.Scalar(0)}, ad.Rows(x, []int{0}))
	}
	muGuide := func(t *Tracer, x *ad.Var) { t.Sample("mu", dist.StdNormal{D: 1}) }
	for _, tc := range []struct {
		name         string
		model, guide func(*Tracer, *ad.Var)
		obj          Objective
		want         error
	}{
		{"nested", func(t *Tracer, x *ad.Var) {
			t.Plate("a", 2, func(*Plate) { t.Plate("b", 2, nil) })
		}, muGuide, Objective{K: 1}, ErrStructure},
		{"opened twice", hierModel, func(t *Tracer, x *ad.Var) {
			hierGuide(t, x)
			t.Plate("data", x.R, nil)
		}, Objective{K: 1}, ErrDuplicateSite},
		{"sizes differ", hierModel, func(t *Tracer, x *ad.Var) {
			t.Sample("mu", dist.StdNormal{D: 1})
			t.Plate("data", x.R+1, nil)
		}, Objective{K: 1}, ErrShape},
		{"model lacks the subsampled plate", noPlateModel, func(t *Tracer, x *ad.Var) {
			muGuide(t, x)
			t.Plate("data", x.R, nil)
		}, Objective{K: 1, Subsample: 2}, ErrStructure},
		{"data rows differ from the plate", func(t *Tracer, x *ad.Var) {
			t.Plate("data", 5, func(p *Plate) { p.Data(x) })
		}, muGuide, Objective{K: 1}, ErrShape},
		{"subsampled IWAE", hierModel, hierGuide, Objective{K: 2, Bound: BoundIWAE, Subsample: 2}, nil},
		{"negative subsample", hierModel, hierGuide, Objective{K: 2, Subsample: -1}, nil},
		{"empty plate", func(t *Tracer, x *ad.Var) { t.Plate("data", 0, nil) }, muGuide, Objective{K: 1}, ErrShape},
	} {
		_, _, err := Gradient(tc.model, tc.guide, NewParamStore(0), x, tc.obj, rand.New(rand.NewPCG(1, 1)))
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

// TestPlateSubsampleMembers checks that a subsampled plate visits distinct
// members in increasing order, that the model replays the guide's members,
// and that its sites hold K·B rows.
func TestPlateSubsampleMembers(t *testing.T) {
	store := hierStore(hierParams(len(hierX)), len(hierX))
	x := ad.FromDense(col(hierX))
	for seed := range uint64(20) {
		sess := newSession(store, nil)
		g, err := runGuide(hierGuide, sess, x, 2, rand.New(rand.NewPCG(seed, 1)), 3)
		if err != nil {
			t.Fatal(err)
		}
		m, err := replay(hierModel, sess, x, g)
		if err != nil {
			t.Fatal(err)
		}
		vis := g.Plates["data"].Idx
		if len(vis) != 3 || !(vis[0] < vis[1] && vis[1] < vis[2]) || vis[0] < 0 || vis[2] >= len(hierX) {
			t.Fatalf("seed %d: visited %v", seed, vis)
		}
		s := m.Site("x")
		if s.Value.R != 6 || s.Plate.Scale != float64(len(hierX))/3 {
			t.Fatalf("seed %d: model site x has %d rows, scale %v", seed, s.Value.R, s.Plate.Scale)
		}
		for b, i := range vis {
			if s.Value.Data[3+b] != hierX[i] {
				t.Fatalf("seed %d: particle 1, member %d observes %v, want %v", seed, i, s.Value.Data[3+b], hierX[i])
			}
		}
	}
}

// TestSVIWithSubsampledPlate fits the hierarchical guide by SVI visiting 3
// of the 8 points per step and checks that it closes almost all of the
// initial gap to the best mean-field ELBO, which full-batch SVI (exact
// member sums) finds.
func TestSVIWithSubsampledPlate(t *testing.T) {
	n := len(hierX)
	fit := func(sub int) float64 {
		store := hierStore(hierParams(n), n)
		for _, ph := range []struct {
			lr    float64
			steps int
		}{{0.05, 1500}, {0.005, 1000}} {
			if _, err := SVI(hierModel, hierGuide, store, col(hierX), SVIConfig{
				Objective: Objective{K: 4, Subsample: sub}, Steps: ph.steps,
				Adam: vi.AdamConfig{LR: ph.lr}, Seed: 7,
			}); err != nil {
				t.Fatal(err)
			}
		}
		th := []float64{store.Get("q.m").At(0, 0), store.Get("q.s").At(0, 0)}
		th = append(th, store.Get("q.a").RawMatrix().Data...)
		th = append(th, store.Get("q.b").RawMatrix().Data...)
		return hierELBO(hierX, th)
	}
	start := hierELBO(hierX, hierParams(n))
	best := fit(0)
	sub := fit(3)
	t.Logf("ELBO: initial %.4f, full-batch fit %.4f, subsampled fit %.4f", start, best, sub)
	if gap := best - sub; gap > 0.01*(best-start) {
		t.Errorf("subsampled fit %v leaves %v of the initial gap %v", sub, gap, best-start)
	}
}

// TestPlateGradientDeterministic checks that the same seed gives the same
// gradient bits, member score terms included.
func TestPlateGradientDeterministic(t *testing.T) {
	logits := make([]float64, 2*len(lmX))
	var first []float64
	for range 5 {
		store := NewParamStore(0)
		store.Set("q.logits", mat.NewDense(len(lmX), 2, logits), nil)
		_, g, err := Gradient(localMixture, localGuide, store, col(lmX), Objective{K: 3}, rand.New(rand.NewPCG(4, 4)))
		if err != nil {
			t.Fatal(err)
		}
		got := flatGrad(g, "q.logits")
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			if got[i] != first[i] {
				t.Fatalf("gradient[%d] = %v, then %v", i, first[i], got[i])
			}
		}
	}
}
