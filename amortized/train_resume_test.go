package amortized

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// intensityData returns n points of dimension d with intensities in
// (0, 1) near one of three prototypes, as a Dataset.
func intensityData(seed uint64, n, d int) *dataset.Dataset {
	rnd := rand.New(rand.NewPCG(seed, 77))
	protos := make([][]float32, 3)
	for i := range protos {
		protos[i] = make([]float32, d)
		for j := range protos[i] {
			protos[i][j] = float32(0.05 + 0.9*rnd.Float64())
		}
	}
	x := make([]float32, 0, n*d)
	for i := 0; i < n; i++ {
		x = append(x, protos[rnd.IntN(3)]...)
	}
	return &dataset.Dataset{Name: "intensities", N: n, D: d, X: x}
}

// trainModel is a VAE or an AE under training.
type trainModel interface {
	Params() map[string]Tensor
	ParamNames() []string
}

// resumeCase builds a fresh model, a copy of a model from its parameters,
// and a trainer.
type resumeCase struct {
	name  string
	data  *dataset.Dataset
	fresh func() trainModel
	copy  func(m trainModel) trainModel
	train func(m trainModel) *Trainer
}

func resumeCases(t *testing.T) []resumeCase {
	vcfg := VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}
	acfg := AEConfig{DataDim: 12, Code: 3, Hidden: []int{8}, Activation: ReLU, Loss: BCE}
	data := intensityData(1, 130, 12) // batches of 32: 5 steps, the last of 2 rows
	fixed := data.Binarize(rand.New(rand.NewPCG(3, 3)))
	must := func(tr *Trainer, err error) *Trainer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	vae := func(obj ppl.Objective, bin dataset.Binarization) func(m trainModel) *Trainer {
		return func(m trainModel) *Trainer {
			return must(NewVAETrainer(m.(*VAE), TrainConfig{BatchSize: 32, Objective: obj, Seed: 11,
				Warmup: vi.Warmup{N: 2}, Binarization: bin, Adam: vi.AdamConfig{LR: 1e-2, ClipNorm: 5}}))
		}
	}
	freshVAE := func() trainModel {
		v, _ := NewVAE(vcfg, rand.New(rand.NewPCG(4, 4)))
		return v
	}
	copyVAE := func(m trainModel) trainModel {
		v, err := NewVAEFromParams(vcfg, m.Params())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return []resumeCase{
		{"vae-elbo-dynamic", data, freshVAE, copyVAE, vae(ppl.Objective{K: 1, AnalyticKL: true}, dataset.Dynamic)},
		{"vae-iwae3-continuous", data, freshVAE, copyVAE, vae(ppl.Objective{Bound: ppl.BoundIWAE, K: 3}, dataset.Continuous)},
		{"ae-bce-fixed", fixed,
			func() trainModel {
				a, _ := NewAE(acfg, rand.New(rand.NewPCG(4, 4)))
				return a
			},
			func(m trainModel) trainModel {
				a, err := NewAEFromParams(acfg, m.Params())
				if err != nil {
					t.Fatal(err)
				}
				return a
			},
			func(m trainModel) *Trainer {
				return must(NewAETrainer(m.(*AE), TrainConfig{BatchSize: 32, Seed: 11, Binarization: dataset.Fixed}))
			}},
	}
}

// TestTrainEpochResume checks exact resumption: two epochs straight, one
// epoch then a fresh trainer for the second, and a run cancelled in the
// middle of the first epoch then resumed by a fresh trainer all end with
// bit-identical weights, optimiser state and epoch statistics.
func TestTrainEpochResume(t *testing.T) {
	const epochs = 2
	for _, c := range resumeCases(t) {
		t.Run(c.name, func(t *testing.T) {
			// Straight.
			m := c.fresh()
			tr := c.train(m)
			var want []EpochStats
			for e := 0; e < epochs; e++ {
				st, err := tr.TrainEpoch(context.Background(), c.data, nil)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, st)
			}
			wantW, wantS := weights(m), tr.State()

			// stopAt stops a run before step s of epoch e (s = 0: at the
			// epoch boundary), rebuilds the model and the trainer from the
			// saved parameters and state, and finishes the run.
			stopAt := func(e, s int) {
				m := c.fresh()
				tr := c.train(m)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var got []EpochStats
				onStep := func(st StepStats) {
					if st.Epoch == e && st.Step == s-1 {
						cancel()
					}
				}
				if s == 0 && e > 0 {
					onStep = func(st StepStats) {
						if st.Epoch == e-1 && st.Step == 4 {
							cancel()
						}
					}
				}
				for tr.Epoch() < epochs {
					st, err := tr.TrainEpoch(ctx, c.data, onStep)
					if errors.Is(err, context.Canceled) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, st)
				}
				if tr.Epoch() != e || tr.Step() != s {
					t.Fatalf("stopped at epoch %d, step %d; want %d, %d", tr.Epoch(), tr.Step(), e, s)
				}
				saved := tr.State()
				m2 := c.copy(m)
				tr2 := c.train(m2)
				if err := tr2.SetState(saved); err != nil {
					t.Fatal(err)
				}
				for tr2.Epoch() < epochs {
					st, err := tr2.TrainEpoch(context.Background(), c.data, nil)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, st)
				}
				if !slices.Equal(weights(m2), wantW) {
					t.Errorf("stop at epoch %d step %d: resumed weights differ from the uninterrupted run", e, s)
				}
				gs := tr2.State()
				if gs.Adam.Step != wantS.Adam.Step || !slices.EqualFunc(gs.Adam.M, wantS.Adam.M, slices.Equal) || !slices.EqualFunc(gs.Adam.V, wantS.Adam.V, slices.Equal) {
					t.Errorf("stop at epoch %d step %d: resumed optimiser state differs", e, s)
				}
				if !slices.Equal(got, want) {
					t.Errorf("stop at epoch %d step %d: epoch statistics\n%+v\nwant\n%+v", e, s, got, want)
				}
			}
			stopAt(1, 0) // at the epoch boundary
			stopAt(0, 2) // in the middle of the first epoch
			stopAt(1, 4) // before the short last batch
		})
	}
}

// TestBinarizationUsed: dynamic binarisation of intensity data changes the
// training run, and draws differ between epochs (two epochs on the same
// data do not repeat the same batch values).
func TestBinarizationUsed(t *testing.T) {
	data := intensityData(2, 64, 12)
	run := func(bin dataset.Binarization) []float32 {
		v, _ := NewVAE(VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}, rand.New(rand.NewPCG(1, 1)))
		tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 16, Seed: 5, Binarization: bin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		return weights(v)
	}
	if slices.Equal(run(dataset.Dynamic), run(dataset.Continuous)) {
		t.Error("dynamic binarisation gave the same weights as continuous data")
	}
	if !slices.Equal(run(dataset.Dynamic), run(dataset.Dynamic)) {
		t.Error("dynamic binarisation is not reproducible")
	}
	// RunEpoch uses a matrix as it is, like Continuous.
	v, _ := NewVAE(VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}, rand.New(rand.NewPCG(1, 1)))
	tr, _ := NewVAETrainer(v, TrainConfig{BatchSize: 16, Seed: 5, Binarization: dataset.Dynamic})
	x := mat.NewDense(64, 12, nil)
	for i := 0; i < 64; i++ {
		for j, val := range data.Row(i) {
			x.Set(i, j, float64(val))
		}
	}
	if _, err := tr.RunEpoch(x); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(weights(v), run(dataset.Continuous)) {
		t.Error("RunEpoch on a matrix differs from TrainEpoch on the same continuous data")
	}
}

// TestTrainEpochNotFinite: a NaN weight makes the next step fail with a
// *StepError naming its epoch and step and wrapping ErrNotFinite; the
// weights, the optimiser and the position stay as they were.
func TestTrainEpochNotFinite(t *testing.T) {
	data := intensityData(3, 100, 12)
	for _, name := range []string{"vae", "ae"} {
		t.Run(name, func(t *testing.T) {
			var m trainModel
			var tr *Trainer
			var err error
			if name == "vae" {
				v, _ := NewVAE(VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}, rand.New(rand.NewPCG(1, 1)))
				m = v
				tr, err = NewVAETrainer(v, TrainConfig{BatchSize: 25, Seed: 5, Binarization: dataset.Dynamic})
			} else {
				a, _ := NewAE(AEConfig{DataDim: 12, Code: 2, Hidden: []int{8}, Activation: Tanh, Loss: MSE}, rand.New(rand.NewPCG(1, 1)))
				m = a
				tr, err = NewAETrainer(a, TrainConfig{BatchSize: 25, Seed: 5})
			}
			if err != nil {
				t.Fatal(err)
			}
			var before []float32
			var adamBefore vi.AdamState[float32]
			_, err = tr.TrainEpoch(context.Background(), data, func(s StepStats) {
				if s.Step == 1 {
					networks(m).Store.Unconstrained("decoder.0.weight").RawMatrix().Data[3] = math.NaN()
					before = weights(m)
					adamBefore = tr.Optimizer().State()
				}
			})
			var se *StepError
			if !errors.As(err, &se) || se.Epoch != 0 || se.Step != 2 || !errors.Is(err, ErrNotFinite) {
				t.Fatalf("error %v; want a *StepError at epoch 0, step 2 wrapping ErrNotFinite", err)
			}
			if !slices.EqualFunc(before, weights(m), func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
				t.Error("the failed step changed the weights")
			}
			if st := tr.State(); st.Epoch != 0 || st.Step != 2 || st.Adam.Step != adamBefore.Step || !slices.EqualFunc(st.Adam.M, adamBefore.M, slices.Equal) {
				t.Errorf("the failed step moved the state to epoch %d, step %d, Adam step %d", st.Epoch, st.Step, st.Adam.Step)
			}
		})
	}
}

func TestTrainEpochErrors(t *testing.T) {
	data := intensityData(4, 50, 12)
	newTr := func(cfg TrainConfig) *Trainer {
		v, _ := NewVAE(VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}, rand.New(rand.NewPCG(1, 1)))
		tr, err := NewVAETrainer(v, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	if _, err := newTr(TrainConfig{BatchSize: 10, Binarization: dataset.Fixed}).TrainEpoch(context.Background(), data, nil); err == nil {
		t.Error("fixed binarisation of non-binary data accepted")
	}
	if _, err := newTr(TrainConfig{}).TrainEpoch(context.Background(), &dataset.Dataset{D: 12}, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("empty data: %v, want ErrNoData", err)
	}
	// A state from a run with batch size 10 at step 3 cannot continue with
	// batch size 20, nor with fewer rows.
	tr := newTr(TrainConfig{BatchSize: 10})
	ctx, cancel := context.WithCancel(context.Background())
	tr.TrainEpoch(ctx, data, func(s StepStats) {
		if s.Step == 2 {
			cancel()
		}
	})
	st := tr.State()
	other := newTr(TrainConfig{BatchSize: 20})
	if err := other.SetState(st); err != nil {
		t.Fatal(err)
	}
	if _, err := other.TrainEpoch(context.Background(), data, nil); err == nil {
		t.Error("a state at step 3 of batch size 10 continued with batch size 20")
	}
	same := newTr(TrainConfig{BatchSize: 10})
	if err := same.SetState(st); err != nil {
		t.Fatal(err)
	}
	if _, err := same.TrainEpoch(context.Background(), data.Head(25), nil); err == nil {
		t.Error("a state at step 3 continued on 25 rows (3 steps)")
	}
	for _, bad := range []TrainerState{
		{Epoch: -1, Adam: st.Adam},
		{Step: 2, Examples: 0, Adam: st.Adam},
		{Step: 1, Examples: 10, LossSum: math.NaN(), Adam: st.Adam},
		{Adam: vi.AdamState[float32]{}},
	} {
		if err := same.SetState(bad); err == nil {
			t.Errorf("SetState(%+v) accepted", bad)
		}
	}
	if _, err := NewVAETrainer(&VAE{}, TrainConfig{Binarization: 7}); err == nil {
		t.Error("unknown binarisation accepted")
	}
}

func TestTrainConfigMetadata(t *testing.T) {
	cfgs := []TrainConfig{
		{},
		{BatchSize: 7, Objective: ppl.Objective{Bound: ppl.BoundIWAE, K: 5}, Beta: 0.3, Warmup: vi.Warmup{N: 4},
			Adam: vi.AdamConfig{LR: 3e-4, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, ClipNorm: 2.5}, Seed: math.MaxUint64, Binarization: dataset.Dynamic},
		{Objective: ppl.Objective{K: 2}, Binarization: dataset.Fixed, Adam: vi.AdamConfig{LR: 0.1 + 0.2}},
	}
	for _, c := range cfgs {
		got, err := ParseTrainConfig(c.Metadata())
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		want := c.withDefaults()
		want.Adam = adamDefaults(c.Adam)
		if got != want {
			t.Errorf("round trip of %+v gave %+v", want, got)
		}
	}
	for key, val := range map[string]string{
		MetaBatch: "0", MetaObjective: "iwae", MetaBeta: "NaN", MetaWarmup: "-1", MetaLR: "-1",
		MetaSeed: "-3", MetaBinarization: "sometimes", MetaAdamBeta1: "x",
	} {
		meta := TrainConfig{}.Metadata()
		meta[key] = val
		if _, err := ParseTrainConfig(meta); err == nil {
			t.Errorf("%s = %q accepted", key, val)
		}
	}
}

// TestEvaluate checks EvaluateVAE's per-example ELBO against the public
// evaluation API (Encode, LogLikelihood, the analytic KL), and EvaluateAE
// against Decode∘Encode.
func TestEvaluate(t *testing.T) {
	data := intensityData(5, 7, 5)
	for _, lik := range []Likelihood{Bernoulli, Gaussian} {
		v, _ := NewVAE(tinyConfig(lik, Softplus), rand.New(rand.NewPCG(9, uint64(lik))))
		// EvaluateVAE's chunk 0 draws ε row-major from stream (3, eval, 0).
		rnd := newStream(3, streamEval, 0)
		x := mat.NewDense(data.N, data.D, nil)
		for i := 0; i < data.N; i++ {
			x.SetRow(i, data.Float64Row(nil, i))
		}
		mu, lv := v.Encode(x)
		var sum float64
		for i := 0; i < data.N; i++ {
			z := mat.NewDense(1, 2, nil)
			var kl float64
			for j := 0; j < 2; j++ {
				m, l := mu.At(i, j), lv.At(i, j)
				z.Set(0, j, m+math.Exp(l/2)*rnd.NormFloat64())
				kl += 0.5 * (m*m + math.Exp(l) - 1 - l)
			}
			sum += v.LogLikelihood(nil, x.RawRowView(i), z)[0] - kl
		}
		mean, err := EvaluateVAE(v, data, 3)
		if err != nil {
			t.Fatal(err)
		}
		if want := sum / float64(data.N); !close32(mean, want) {
			t.Errorf("%v: EvaluateVAE = %v, from the evaluation methods %v", lik, mean, want)
		}
		again, _ := EvaluateVAE(v, data, 3)
		other, _ := EvaluateVAE(v, data, 4)
		if mean != again || mean == other {
			t.Errorf("%v: EvaluateVAE not a function of its seed: %v, %v, seed 4: %v", lik, mean, again, other)
		}
	}
	for _, loss := range []AELoss{MSE, BCE} {
		a, _ := NewAE(AEConfig{DataDim: 5, Code: 2, Hidden: []int{3}, Activation: Tanh, Loss: loss}, rand.New(rand.NewPCG(2, 2)))
		x := mat.NewDense(data.N, data.D, nil)
		for i := 0; i < data.N; i++ {
			x.SetRow(i, data.Float64Row(nil, i))
		}
		out := a.Decode(a.Encode(x))
		var want float64
		for i := 0; i < data.N; i++ {
			for j := 0; j < data.D; j++ {
				o, xv := out.At(i, j), x.At(i, j)
				if loss == MSE {
					want += (xv - o) * (xv - o)
				} else {
					want += math.Log1p(math.Exp(o)) - xv*o
				}
			}
		}
		want /= float64(data.N * data.D)
		got, err := EvaluateAE(a, data)
		if err != nil || !close32(got, want) {
			t.Errorf("%v: EvaluateAE = %v, %v; want %v", loss, got, err, want)
		}
	}
	v, _ := NewVAE(tinyConfig(Bernoulli, Tanh), rand.New(rand.NewPCG(1, 1)))
	if _, err := EvaluateVAE(v, &dataset.Dataset{D: 5}, 1); !errors.Is(err, ErrNoData) {
		t.Errorf("empty data: %v", err)
	}
	v.Store.Unconstrained("decoder.2.bias").Set(0, 0, math.NaN())
	if _, err := EvaluateVAE(v, data, 1); !errors.Is(err, ErrNotFinite) {
		t.Errorf("infinite weight: %v, want ErrNotFinite", err)
	}
}

// ExampleTrainer_TrainEpoch trains a small VAE on intensities with
// dynamic binarisation, stopping after two steps and carrying on from the
// saved state in a fresh trainer.
func ExampleTrainer_TrainEpoch() {
	data := intensityData(1, 100, 12)
	cfg := TrainConfig{BatchSize: 25, Seed: 1, Binarization: dataset.Dynamic}
	v, _ := NewVAE(VAEConfig{DataDim: 12, Latent: 2, Hidden: []int{8}, Activation: Tanh}, rand.New(rand.NewPCG(1, 1)))
	tr, _ := NewVAETrainer(v, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := tr.TrainEpoch(ctx, data, func(s StepStats) {
		if s.Step == 1 {
			cancel() // as Ctrl-C would
		}
	})
	fmt.Println(errors.Is(err, context.Canceled), tr.Epoch(), tr.Step())

	// Resume from the weights and the state.
	v2, _ := NewVAEFromParams(v.Config, v.Params())
	tr2, _ := NewVAETrainer(v2, cfg)
	_ = tr2.SetState(tr.State())
	st, err := tr2.TrainEpoch(context.Background(), data, nil)
	fmt.Println(err, st.Epoch, st.Steps, tr2.Epoch())
	// Output:
	// true 0 2
	// <nil> 0 4 1
}

// TestTrainSameWeightsAnyGOMAXPROCS trains the same VAE with GOMAXPROCS 1
// and 2 and requires bit-identical weights. The layers are wide enough
// (batch 100, 200 inputs, 128 hidden units) for gonum's matrix multiply to
// take its parallel path, whose blocks must not change the sums.
func TestTrainSameWeightsAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	data := intensityData(4, 300, 200)
	var weights [2][][]float32
	for i, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		v, err := NewVAE(VAEConfig{DataDim: 200, Latent: 8, Hidden: []int{128}, Activation: Tanh, Likelihood: Gaussian, LogSigma: -1}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 100, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range paramSlices(v) {
			weights[i] = append(weights[i], slices.Clone(s))
		}
	}
	for l := range weights[0] {
		if !slices.Equal(weights[0][l], weights[1][l]) {
			t.Fatalf("parameter %d differs between GOMAXPROCS 1 and 2", l)
		}
	}
}

// networks returns the weights of a VAE or an AE.
func networks(m trainModel) *Networks {
	switch m := m.(type) {
	case *VAE:
		return &m.Networks
	case *AE:
		return &m.Networks
	}
	panic("not a VAE or an AE")
}
