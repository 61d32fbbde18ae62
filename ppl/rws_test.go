package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/logspace"
	"github.com/vitool/vitool/vi"
)

// TestRWSIsWakePhase checks RWS's guide gradient, in doubly
// reparameterised form, against the wake-phase gradient written directly,
// Σ_k w̃_k ∇ log q(z_k) with the draws held fixed, computed by hand from the
// same traces for the mean-field Gaussian guide: the two agree in mean
// (they are different estimators of the same gradient), and the model's
// gradient under RWS is IWAE's (checked through DReG, which shares it).
func TestRWSIsWakePhase(t *testing.T) {
	lg, x := testLG(4, 2, 0.7, 3)
	q := offsetMeanField(lg, x, 0.3)
	const n, k = 600, 8
	model, guide := lgModel(lg), paramGuide(q)
	obj := Objective{Bound: BoundIWAE, K: k, Estimator: RWS}
	loc, ls := mat.Row(nil, 0, q.Loc), mat.Row(nil, 0, q.LogScale)
	d := len(loc)
	diff := make([][]float64, n)
	for s := range n {
		res, err := GradientTraces(model, guide, NewParamStore(0), row(x), obj, rand.New(rand.NewPCG(uint64(s), 21)))
		if err != nil {
			t.Fatal(err)
		}
		lw := res.Model.LogProb().Data
		for i, v := range res.Guide.LogProb().Data {
			lw[i] -= v
		}
		w := normalised(lw)
		z := res.Guide.Site("z").Value.Data
		score := make([]float64, 2*d)
		for i := range k {
			for j := range d {
				u := (z[i*d+j] - loc[j]) / math.Exp(ls[j])
				score[j] += w[i] * u / math.Exp(ls[j])
				score[d+j] += w[i] * (u*u - 1)
			}
		}
		g := flatGrad(res.Grads, "q.loc", "q.log_scale")
		diff[s] = make([]float64, 2*d)
		for j := range g {
			diff[s][j] = g[j] - score[j]
		}
		if s == 0 {
			t.Logf("draw 0: RWS %.4v, wake phase %.4v", g, score)
		}
	}
	mean, se, _ := moments(diff)
	for j := range mean {
		if math.Abs(mean[j]) > 4*se[j] {
			t.Errorf("gradient[%d]: RWS − wake phase = %v ± %v, want 0", j, mean[j], se[j])
		}
	}
	// The test can fail: the difference's standard error is small against
	// the gradient itself.
	if se[0] > 0.05 {
		t.Errorf("standard error %v too large to test anything", se[0])
	}
}

// TestRWSCoversPosterior fits a mean-field guide to a linear-Gaussian model
// whose posterior is correlated. The ELBO's optimum has the conditional
// variances 1/Λ_jj (too narrow: it seeks the mode); the wake phase minimises
// KL(p‖q), whose mean-field optimum has the posterior's marginal variances
// Σ_jj. RWS must land near the latter, with K large enough that the
// self-normalised weights' bias is small.
func TestRWSCoversPosterior(t *testing.T) {
	lg, x := testLG(3, 2, 0.5, 8)
	post := lg.PosteriorNormal(x)
	narrow := lg.MeanField(x)
	store := NewParamStore(0)
	model, guide := lgModel(lg), paramGuide(narrow)
	const steps = 1500
	_, err := SVI(model, guide, store, row(x), SVIConfig{
		Objective: Objective{Bound: BoundIWAE, K: 64, Estimator: RWS},
		Steps:     steps,
		Adam:      vi.AdamConfig{LR: 0.01},
		Schedule:  vi.CosineDecay{Initial: 0.01, Min: 1e-4, Steps: steps},
		Seed:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	loc, ls := store.Get("q.loc").RawRowView(0), store.Get("q.log_scale").RawRowView(0)
	for j := range loc {
		marg := math.Sqrt(post.Covariance().At(j, j))
		cond := math.Exp(narrow.LogScale.At(0, j))
		got := math.Exp(ls[j])
		t.Logf("z[%d]: RWS scale %.4f, posterior marginal %.4f, ELBO optimum %.4f; mean %.4f vs %.4f", j, got, marg, cond, loc[j], post.Loc.At(0, j))
		if marg < 1.3*cond {
			t.Fatalf("z[%d]: the posterior is not correlated enough for the test (%v vs %v)", j, marg, cond)
		}
		// Within 15% of the distance between the two optima: at finite K the
		// self-normalised weights lean towards q, a bias of a few percent.
		if math.Abs(got-marg) > 0.15*(marg-cond) {
			t.Errorf("z[%d]: RWS scale %v, want the marginal %v (the ELBO's is %v)", j, got, marg, cond)
		}
	}
}

// normalised returns the self-normalised weights of log-weights lw.
func normalised(lw []float64) []float64 {
	l := logspace.LogSumExp(lw)
	w := make([]float64, len(lw))
	for i, v := range lw {
		w[i] = math.Exp(v - l)
	}
	return w
}
