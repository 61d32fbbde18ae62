package ppl

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// checkGradModel compares LogJointGrad of g at the rows of z with
// latent.LogJoint and with central finite differences of it.
func checkGradModel(t *testing.T, g mc.GradModel, x []float64, z *mat.Dense) {
	t.Helper()
	n, d := z.Dims()
	grad := mat.NewDense(n, d, nil)
	got := g.LogJointGrad(nil, grad, x, z)
	want := latent.LogJoint(nil, g, x, z)
	for i := range n {
		if math.Abs(got[i]-want[i]) > 1e-10*math.Max(1, math.Abs(want[i])) {
			t.Errorf("row %d: log p(x,z) = %v, LogJoint gives %v", i, got[i], want[i])
		}
		fdg := fd.Gradient(nil, func(v []float64) float64 {
			return latent.LogJoint(nil, g, x, mat.NewDense(1, d, v))[0]
		}, mat.Row(nil, i, z), &fd.Settings{Formula: fd.Central, Step: 1e-5})
		for k := range d {
			if gk := grad.At(i, k); math.Abs(gk-fdg[k]) > 1e-5*math.Max(1, math.Abs(fdg[k])) {
				t.Errorf("row %d: ∂/∂z_%d = %v, finite differences give %v", i, k, gk, fdg[k])
			}
		}
	}
}

// TestAsGradModelLinearGaussian checks the tape gradient of a ppl model
// against the analytic gradient of latent.LinearGaussian and against finite
// differences.
func TestAsGradModelLinearGaussian(t *testing.T) {
	lg, x := testLG(6, 3, 0.5, 2)
	g, err := AsGradModel(lgModel(lg), NewParamStore(0), row(x))
	if err != nil {
		t.Fatal(err)
	}
	z := mat.NewDense(3, 3, []float64{0.1, -0.4, 1.2, 2, 0.3, -1, -0.5, -0.5, 0.7})
	checkGradModel(t, g, x, z)
	want := mat.NewDense(3, 3, nil)
	lg.LogJointGrad(nil, want, x, z)
	got := mat.NewDense(3, 3, nil)
	g.LogJointGrad(nil, got, x, z)
	if !mat.EqualApprox(got, want, 1e-10) {
		t.Errorf("tape gradient\n%v\nanalytic\n%v", mat.Formatted(got), mat.Formatted(want))
	}
	// The prior is differentiable and scores like the model's prior.
	p, ok := g.Prior().(dist.Differentiable)
	if !ok {
		t.Fatalf("Prior is a %T, not a dist.Differentiable", g.Prior())
	}
	lp := p.LogProbVar(ad.FromDense(z))
	wantLP := lg.Prior().LogProb(nil, z)
	for i, v := range wantLP {
		if math.Abs(lp.Data[i]-v) > 1e-12 {
			t.Errorf("prior row %d: %v, want %v", i, lp.Data[i], v)
		}
	}
}

// TestAsGradModelNonlinear checks a model with two latent sites, one in a
// plate, a nonlinear likelihood and a learnt parameter, against finite
// differences.
func TestAsGradModelNonlinear(t *testing.T) {
	store := NewParamStore(3)
	model := func(t *Tracer, x *ad.Var) {
		s := t.Sample("s", dist.Normal{Loc: ad.Scalar(0.5), LogScale: ad.Scalar(-0.3)})
		w := t.Param("w", Fill(1, 2, 0.7))
		t.Plate("data", x.R, func(p *Plate) {
			u := t.Sample("u", dist.StdNormal{D: 2})
			loc := ad.Add(ad.Tanh(ad.Mul(u, w)), ad.Repeat(s, p.B()))
			t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Scalar(-0.5)}, p.Data(x))
		})
	}
	xm := mat.NewDense(2, 2, []float64{0.3, -0.2, 1.1, 0.4})
	g, err := AsGradModel(model, store, xm)
	if err != nil {
		t.Fatal(err)
	}
	if g.LatentDim() != 5 {
		t.Fatalf("LatentDim = %d, want 5 (s, then u for two members)", g.LatentDim())
	}
	z := mat.NewDense(2, 5, []float64{0.2, 0.1, -0.3, 0.9, 1.4, -0.6, 0.5, 0.5, -1, 0.2})
	checkGradModel(t, g, xm.RawMatrix().Data, z)
}

// TestAsGradModelRefusesDiscrete checks the error for a discrete site.
func TestAsGradModelRefusesDiscrete(t *testing.T) {
	gm := testMixture()
	_, err := AsGradModel(mixtureModel(gm), NewParamStore(0), row([]float64{0.4, 0.3}))
	if !errors.Is(err, ErrNotReparameterizable) {
		t.Errorf("error %v, want ErrNotReparameterizable", err)
	}
}

// TestAISOnPPLModel runs mc.AIS from a guide (AsGradProposal) on the ppl
// linear-Gaussian model: with T = 1 it equals importance sampling with the
// guide, and with many steps it reaches the exact log p(x).
func TestAISOnPPLModel(t *testing.T) {
	lg, x := testLG(8, 3, 0.4, 5)
	store := NewParamStore(0)
	g, err := AsGradModel(lgModel(lg), store, row(x))
	if err != nil {
		t.Fatal(err)
	}
	q, err := AsGradProposal(fixedGuide(lg.MeanField(x)), g, row(x))
	if err != nil {
		t.Fatal(err)
	}
	c := mc.Config{Seed: 4, ChunkSize: 32}
	one, err := mc.AIS(g, q, x, mc.AISConfig{Steps: 1, Chains: 200}, c)
	if err != nil {
		t.Fatal(err)
	}
	is, err := Importance(lgModel(lg), fixedGuide(lg.MeanField(x)), store, row(x), 200, c)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(one.LogPX-is.LogPX) > 1e-9 {
		t.Errorf("AIS with T = 1: %v, importance sampling %v", one.LogPX, is.LogPX)
	}
	est, err := mc.AIS(g, q, x, mc.AISConfig{Steps: 50, Chains: 16, Leapfrog: 5}, c)
	if err != nil {
		t.Fatal(err)
	}
	exact := lg.LogEvidence(x)
	t.Logf("AIS %v ± %v, exact %v, acceptance %.2f", est.LogPX, est.StdErr, exact, est.AcceptRate)
	if math.Abs(est.LogPX-exact) > 4*est.StdErr+0.01 {
		t.Errorf("AIS %v ± %v, exact %v", est.LogPX, est.StdErr, exact)
	}
}
