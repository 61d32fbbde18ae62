package amortized

import (
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

func iafConfig() VAEConfig {
	return VAEConfig{DataDim: 5, Latent: 3, Hidden: []int{6}, Activation: Tanh, Flow: FlowIAF, FlowSteps: 2, FlowHidden: 4}
}

// randomiseFlow fills the flow parameters of v with random values, so that
// the steps are far from their initial near-identity. The parameters are
// filled in name order, so that the same rnd gives the same flow.
func randomiseFlow(v *VAE, rnd *rand.Rand) {
	for _, name := range slices.Sorted(maps.Keys(v.Config.FlowParamShapes())) {
		m := v.Store.Get(name)
		r, c := m.Dims()
		w := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				w.Set(i, j, 0.7*rnd.NormFloat64())
			}
		}
		if err := v.Store.Set(name, w, nil); err != nil {
			panic(err)
		}
	}
}

// TestIAFVAEGuideMatchesProposal checks that the IAF encoder of the ppl
// guide is the distribution Proposal returns: every log-weight of K
// particles of a batch equals LogLikelihood + log p(z) − log q(z|x) with
// q = Proposal(x) (a dist.FlowDistribution, scored through the sequential
// inverse).
func TestIAFVAEGuideMatchesProposal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 1))
	v, err := NewVAE(iafConfig(), rnd)
	if err != nil {
		t.Fatal(err)
	}
	randomiseFlow(v, rnd)
	const B, K, L = 4, 3, 3
	x := randData(rnd, B, 5, true)
	logw, g, _, err := ppl.LogWeights(v.Model(), v.Guide(), v.Store, x, K, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	z := g.Site("z").Value
	want := make([]float64, K)
	for b := range B {
		xb := x.RawRowView(b)
		q := v.Proposal(xb)
		if _, ok := q.(dist.FlowDistribution); !ok {
			t.Fatalf("Proposal is a %T, want a dist.FlowDistribution", q)
		}
		zb := mat.NewDense(K, L, nil)
		for k := range K {
			zb.SetRow(k, z.Data[(k*B+b)*L:(k*B+b+1)*L])
		}
		ll := v.LogLikelihood(nil, xb, zb)
		lp := v.Prior().LogProb(nil, zb)
		lq := q.LogProb(nil, zb)
		for k := range K {
			want[k] += ll[k] + lp[k] - lq[k]
		}
	}
	for k := range K {
		if !close32(logw[k], want[k]) {
			t.Errorf("log-weight %d = %v, from the evaluation methods %v", k, logw[k], want[k])
		}
	}
}

// TestIAFVAEProposalSampleLogProb checks that the IAF encoder's proposal
// scores its own draws in the sampling pass: SampleLogProb draws the rows of
// Sample and their log-densities equal LogProb's (the sequential inverse) to
// 1e-9.
func TestIAFVAEProposalSampleLogProb(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 1))
	v, err := NewVAE(iafConfig(), rnd)
	if err != nil {
		t.Fatal(err)
	}
	randomiseFlow(v, rnd)
	q := v.Proposal([]float64{1, 0, 1, 1, 0})
	if _, ok := q.(dist.SampleLogProber); !ok {
		t.Fatalf("Proposal is a %T, not a dist.SampleLogProber", q)
	}
	const n = 50
	want := mat.NewDense(n, 3, nil)
	q.Sample(want, rand.New(rand.NewPCG(2, 2)))
	wantLP := q.LogProb(nil, want)
	got := mat.NewDense(n, 3, nil)
	lp := dist.SampleLogProb(q, got, nil, rand.New(rand.NewPCG(2, 2)))
	if !mat.Equal(got, want) {
		t.Error("SampleLogProb draws other rows than Sample")
	}
	for i, w := range wantLP {
		if math.IsNaN(lp[i]) || math.Abs(lp[i]-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("row %d: log q %v, LogProb %v", i, lp[i], w)
		}
	}
}

// TestIAFVAEParams checks the flow's parameter names and shapes, that a VAE
// rebuilt from Params and from its metadata scores as the original, and
// that a configuration without steps is refused.
func TestIAFVAEParams(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 1))
	cfg := iafConfig()
	v, err := NewVAE(cfg, rnd)
	if err != nil {
		t.Fatal(err)
	}
	randomiseFlow(v, rnd)
	shapes := cfg.FlowParamShapes()
	if len(shapes) != 5*cfg.FlowSteps {
		t.Fatalf("%d flow parameters, want %d", len(shapes), 5*cfg.FlowSteps)
	}
	want := map[string][]int{
		"flow.1.in.weight": {3, 4}, "flow.1.in.bias": {4}, "flow.1.context.weight": {4, 4},
		"flow.1.out.weight": {4, 6}, "flow.1.out.bias": {6},
	}
	params := v.Params()
	for name, s := range want {
		if !slices.Equal(shapes[name], s) || !slices.Equal(params[name].Shape, s) {
			t.Errorf("%s: shape %v, Params %v, want %v", name, shapes[name], params[name].Shape, s)
		}
	}
	if got := params["encoder.2.weight"].Shape; !slices.Equal(got, []int{2*3 + 4, 6}) {
		t.Errorf("encoder output layer %v, want [10 6] (μ, log σ², context)", got)
	}
	back, err := ParseVAEConfig(cfg.Metadata())
	if err != nil || !reflect.DeepEqual(back, cfg) {
		t.Fatalf("metadata round trip: %+v, %v; want %+v", back, err, cfg)
	}
	w, err := NewVAEFromParams(back, params)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 0, 0, 1, 1}
	z := mat.NewDense(2, 3, []float64{0.3, -1, 2, 1.5, 0.2, -0.4})
	a, b := v.Proposal(x).LogProb(nil, z), w.Proposal(x).LogProb(nil, z)
	for i := range a {
		if !close32(a[i], b[i]) {
			t.Errorf("row %d: log q %v, rebuilt %v", i, a[i], b[i])
		}
	}
	bad := cfg
	bad.FlowSteps = 0
	if _, err := NewVAE(bad, rnd); err == nil {
		t.Error("an IAF with 0 steps was accepted")
	}
}

// TestIAFVAETrains trains an IAF VAE on the prototype data: the bound must
// rise by far more than its epoch-to-epoch noise, and the flow's output
// weights (zero at the start) must have moved, so that gradients reach
// them through the guide.
func TestIAFVAETrains(t *testing.T) {
	epochs := 20
	if testing.Short() {
		epochs = 8
	}
	data := protoData(rand.New(rand.NewPCG(1, 0)), 400, 20)
	cfg := VAEConfig{DataDim: 20, Latent: 2, Hidden: []int{32}, Activation: Tanh, Flow: FlowIAF, FlowSteps: 2, FlowHidden: 8}
	v, err := NewVAE(cfg, rand.New(rand.NewPCG(2, 0)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 50, Objective: ppl.Objective{K: 1, AnalyticKL: true}, Adam: vi.AdamConfig{LR: 3e-3}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.RunEpoch(data)
	if err != nil {
		t.Fatal(err)
	}
	var last EpochStats
	for e := 1; e < epochs; e++ {
		if last, err = tr.RunEpoch(data); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("bound %.3f → %.3f", first.Bound, last.Bound)
	if !(last.Bound > first.Bound+2) {
		t.Errorf("bound went from %.3f to %.3f", first.Bound, last.Bound)
	}
	if w := v.Store.Get("flow.1.out.weight"); mat.Norm(w, 2) == 0 {
		t.Error("flow.1.out.weight is still zero: the flow was not trained")
	}
	if !slices.Contains(tr.ParamNames(), "flow.0.context.weight") {
		t.Errorf("the trainer's parameters %v lack the flow's", tr.ParamNames())
	}
}

// TestCode checks VAE.Code: μ(x) for the diagonal encoder; for the IAF
// encoder, computed for a batch, a point that is not μ(x) and equals the
// flow of that row's own Proposal(x) applied to μ(x).
func TestCode(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 1))
	diag := iafConfig()
	diag.Flow = FlowNone
	for _, cfg := range []VAEConfig{diag, iafConfig()} {
		v, err := NewVAE(cfg, rnd)
		if err != nil {
			t.Fatal(err)
		}
		randomiseFlow(v, rnd)
		x := randData(rnd, 3, 5, true)
		mu, _ := v.Encode(x)
		code := v.Code(x)
		for i := range 3 {
			want := mu.RawRowView(i)
			if cfg.Flow == FlowIAF {
				if slices.Equal(code.RawRowView(i), want) {
					t.Errorf("IAF row %d: Code equals the base mean %v", i, want)
				}
				q := v.Proposal(x.RawRowView(i)).(dist.FlowDistribution)
				want = q.Transform.Forward(ad.Row(mu.RawRowView(i))).Data
			}
			for j, c := range code.RawRowView(i) {
				if math.Abs(c-want[j]) > 1e-12 {
					t.Errorf("flow %v row %d: Code %v, want %v", cfg.Flow, i, code.RawRowView(i), want)
					break
				}
			}
		}
	}
}
