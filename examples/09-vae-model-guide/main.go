// Command 09-vae-model-guide shows that the VAE is one case of package ppl:
// the built-in amortized.VAE, rewritten as a ppl model/guide pair that reads
// the VAE's weights from a ppl.ParamStore, gives the same evidence estimates
// for the same seed and data.
//
// The pair is a dozen lines each:
//
//	model(t, x): z ~ N(0, I) at site "z"; logits = decoder(z); x ~ Bernoulli(logits) at site "x"
//	guide(t, x): (μ, log σ²) = encoder(x); z ~ N(μ, σ²) at site "z"
//
// where encoder and decoder are forward passes of the networks whose weights
// the functions read with Tracer.Param under the PyTorch state_dict names of
// the VAE's checkpoint ("encoder.0.weight", "decoder.2.bias", …). The store
// is filled by ppl.ParamStore.Load from the very file that
// checkpoint.SaveVAE writes, so a VAE trained by "vitool train-vae", or by
// PyTorch with the architecture in the file's metadata (see package
// checkpoint), loads the same way.
//
// The VAE is trained here on the embedded MNIST subset by the amortized
// trainer (compiled automatic differentiation), or loaded with -checkpoint.
// Then, for a few binarised test digits, naive Monte Carlo, importance
// sampling, the ELBO and the IWAE bound are computed twice with the same
// mc.Config seed: by the mc estimators on the built-in VAE (as latent.Model,
// with vae.Proposal(x)) and by ppl.Prior, ppl.Importance, ppl.ELBO and
// ppl.IWAE on the pair. The pair is written in two arithmetics:
//
//   - float32: the layer products round inputs and weights to float32 and
//     accumulate in float32 with gonum's blas32.Gemm, exactly as
//     amortized.VAE computes. The networks' outputs, and hence every draw
//     of z, are bit-identical; the log-likelihood sums differ only in the
//     order of float64 additions (dist.Bernoulli against the VAE's own
//     sum), about 1e-13 nats.
//   - float64: plain gonum float64 code. It differs from the float32 VAE by
//     float32 rounding, a few 1e-6 nats, 10⁻⁴ of the standard errors.
//
// It prints the estimates side by side, a stage-by-stage comparison of one
// image's draws, and writes one figure to -out:
//
//	logweight_differences.png   |ppl − built-in| per draw against the draw's log-weight, for both arithmetics
//
// Usage:
//
//	go run ./examples/09-vae-model-guide [-fast | -full] [-checkpoint model.safetensors] [-out DIR] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/internal/logspace"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings; main fills it from the flags.
type config struct {
	notebook.Common        // -fast, -full, -out and -seed
	Checkpoint      string // a VAE model file to use instead of training one
}

// size is the budget of a run.
type size struct {
	trainN, epochs int
	hidden         []int
	latent         int
	lr             float64
	points         int // test images
	k              int // draws of naive MC, IS and the ELBO
	iwaeK, reps    int // the IWAE bound's K and replicates
	draws          int // draws of the per-draw comparison
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 2000, epochs: 3, hidden: []int{256}, latent: 16, lr: 2e-3, points: 3, k: 500, iwaeK: 50, reps: 10, draws: 200}
	case cfg.Full:
		return size{trainN: 2000, epochs: 150, hidden: []int{512, 256}, latent: 16, lr: 1e-3, points: 20, k: 5000, iwaeK: 1000, reps: 10, draws: 2000}
	default:
		return size{trainN: 2000, epochs: 30, hidden: []int{256}, latent: 16, lr: 2e-3, points: 10, k: 2000, iwaeK: 1000, reps: 10, draws: 1000}
	}
}

// arith is the arithmetic of the networks' forward pass in the ppl pair.
type arith int

const (
	// float32Arith computes as amortized.VAE does: each layer rounds its
	// input and weights to float32 and forms W·h + b in float32 with
	// gonum's blas32.Gemm, the activations are evaluated in float64 and
	// rounded to float32 by the next layer.
	float32Arith arith = iota
	// float64Arith is plain float64 gonum code.
	float64Arith
)

func (a arith) String() string {
	if a == float32Arith {
		return "float32"
	}
	return "float64"
}

// linear returns h·Wᵀ + b for the n×in batch h, the out×in weight W
// (PyTorch's layout) and the 1×out bias b.
func linear(h, w, b *mat.Dense, a arith) *mat.Dense {
	n, in := h.Dims()
	out, _ := w.Dims()
	if a == float64Arith {
		y := mat.NewDense(n, out, nil)
		y.Mul(h, w.T())
		for i := range n {
			floats.Add(y.RawRowView(i), b.RawRowView(0))
		}
		return y
	}
	y := make([]float32, n*out)
	bias := toF32(b)
	for i := range n {
		copy(y[i*out:(i+1)*out], bias)
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: n, Cols: in, Stride: in, Data: toF32(h)},
		blas32.General{Rows: out, Cols: in, Stride: in, Data: toF32(w)},
		1, blas32.General{Rows: n, Cols: out, Stride: out, Data: y})
	d := make([]float64, len(y))
	for i, v := range y {
		d[i] = float64(v)
	}
	return mat.NewDense(n, out, d)
}

// toF32 rounds the elements of m to float32, row-major.
func toF32(m *mat.Dense) []float32 {
	r, c := m.Dims()
	out := make([]float32, 0, r*c)
	for i := range r {
		for _, v := range m.RawRowView(i) {
			out = append(out, float32(v))
		}
	}
	return out
}

// activate applies the activation to h in place, with the functions that
// package amortized uses (internal/logspace's softplus among them), so that
// the float32 pair rounds exactly as the VAE does.
func activate(h *mat.Dense, act amortized.Activation) {
	h.Apply(func(_, _ int, v float64) float64 {
		switch act {
		case amortized.Tanh:
			return math.Tanh(v)
		case amortized.ReLU:
			return math.Max(v, 0)
		case amortized.Softplus:
			return logspace.Softplus(v)
		}
		panic(fmt.Sprintf("unknown activation %v", act))
	}, h)
}

// network applies the MLP whose layers are stored under prefix.0.weight,
// prefix.0.bias, prefix.2.weight, … (the names of a PyTorch nn.Sequential
// that alternates Linear and activation modules) to the rows of h.
func network(t *ppl.Tracer, prefix string, layers int, act amortized.Activation, h *mat.Dense, a arith) *mat.Dense {
	for i := range layers {
		w := t.Param(fmt.Sprintf("%s.%d.weight", prefix, 2*i), nil) // out×in
		b := t.Param(fmt.Sprintf("%s.%d.bias", prefix, 2*i), nil)   // 1×out
		h = linear(h, w, b, a)
		if i < layers-1 {
			activate(h, act)
		}
	}
	return h
}

// vaeModel returns the VAE's generative model p(z) p(x|z) as a ppl.Model
// with the latent site "z" and the observed site "x".
func vaeModel(c amortized.VAEConfig, a arith) ppl.Model {
	return func(t *ppl.Tracer, x []float64) {
		z := t.Sample("z", dist.StdNormal{D: c.Latent}) // K×L, one row per particle
		out := network(t, "decoder", len(c.Hidden)+1, c.Activation, z, a)
		switch c.Likelihood {
		case amortized.Bernoulli:
			t.Observe("x", dist.Bernoulli{Logits: out}, x)
		case amortized.Gaussian:
			r, d := out.Dims()
			ls := mat.NewDense(r, d, nil)
			ls.Apply(func(_, _ int, _ float64) float64 { return c.LogSigma }, ls)
			t.Observe("x", dist.Normal{Loc: out, LogScale: ls}, x)
		}
	}
}

// vaeGuide returns the VAE's encoder q(z|x) = N(μ(x), diag σ²(x)) as a
// ppl.Guide: the encoder's last layer outputs μ and then log σ².
func vaeGuide(c amortized.VAEConfig, a arith) ppl.Guide {
	return func(t *ppl.Tracer, x []float64) {
		out := network(t, "encoder", len(c.Hidden)+1, c.Activation, mat.NewDense(1, len(x), x), a) // 1×2L
		L := c.Latent
		loc := mat.DenseCopyOf(out.Slice(0, 1, 0, L))
		logScale := mat.DenseCopyOf(out.Slice(0, 1, L, 2*L)) // log σ = log σ² / 2
		logScale.Scale(0.5, logScale)
		t.Sample("z", dist.Normal{Loc: loc, LogScale: logScale})
	}
}

// pair is a model and its guide in one arithmetic.
type pair struct {
	arith arith
	model ppl.Model
	guide ppl.Guide
}

// newPair returns the VAE with configuration c as a model/guide pair
// computing in arithmetic a.
func newPair(c amortized.VAEConfig, a arith) pair {
	return pair{arith: a, model: vaeModel(c, a), guide: vaeGuide(c, a)}
}

// Estimators, in table order.
const (
	methPrior = iota
	methIS
	methELBO
	methIWAE
	nMethods
)

var methodNames = [nMethods]string{"naive MC (prior)", "IS, q = encoder", "ELBO", "IWAE-K"}

// row is one estimator's results, averaged over the test images.
type row struct {
	Method int
	K      int
	// BuiltIn and PPL (one per arith) are mc.Average over the images.
	BuiltIn mc.Estimate
	PPL     [2]mc.Estimate
	// MaxDiff is the largest |LogPX(ppl) − LogPX(built-in)| over the
	// images, and Identical the number of images where they are equal
	// bit for bit, per arith.
	MaxDiff   [2]float64
	Identical [2]int
	// MinStdErr is the smallest per-image standard error of the built-in
	// estimate.
	MinStdErr float64
}

// stage is one step of the per-draw comparison on the first test image:
// the largest |ppl − built-in| of a quantity, per arith, and how many of
// its values were equal bit for bit.
type stage struct {
	Name      string
	MaxDiff   [2]float64
	Identical [2]int
	N         int
}

// results is what the example measured.
type results struct {
	Config   amortized.VAEConfig
	NParams  int
	Points   int
	Rows     []row
	Stages   []stage
	Sites    []string     // the pair's trace, one line per site
	Params   []string     // the parameters the pair read, in first-use order
	LogLik   []float64    // per draw of the comparison: the built-in log p(x|z)
	LogW     []float64    // per draw: the built-in log-weight
	DiffLogW [2][]float64 // per draw: ppl − built-in log-weight
	Figures  []string
	// Elapsed is the time the estimates took: built-in, ppl float32, ppl
	// float64.
	Elapsed [3]time.Duration
}

func main() {
	const name = "09-vae-model-guide"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger VAE, 20 test images, more draws (many minutes)", "folder for the figure")
	flag.StringVar(&cfg.Checkpoint, "checkpoint", "", "use this VAE model file (from vitool train-vae) instead of training one")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

func run(cfg config, w io.Writer) (results, error) {
	sz := settings(cfg)
	var res results
	splits, err := dataset.Embedded("mnist")
	if err != nil {
		return res, err
	}

	// One checkpoint file feeds both sides: checkpoint.LoadVAE builds the
	// built-in VAE from it and ppl.ParamStore.Load reads its tensors under
	// their PyTorch names.
	path := cfg.Checkpoint
	if path == "" {
		vae, err := train(splits.Train.Head(sz.trainN), sz, cfg.Seed)
		if err != nil {
			return res, err
		}
		dir, err := os.MkdirTemp("", "vitool-09-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "vae.safetensors")
		if err := checkpoint.SaveVAE(path, vae); err != nil {
			return res, err
		}
		fmt.Fprintf(w, "VAE trained by the amortized trainer on %d MNIST digits (latent %d, hidden %v, %d epochs)\n",
			min(sz.trainN, splits.Train.N), sz.latent, sz.hidden, sz.epochs)
	}
	vae, err := checkpoint.LoadVAE(path)
	if err != nil {
		return res, err
	}
	if vae.DataDim() != splits.Test.D {
		return res, fmt.Errorf("-checkpoint %s: data dimension %d, want %d (MNIST)", path, vae.DataDim(), splits.Test.D)
	}
	store := ppl.NewParamStore()
	if err := store.Load(path); err != nil {
		return res, err
	}
	res.Config = vae.Config
	for _, n := range store.Names() {
		r, c := store.Get(n).Dims()
		res.NParams += r * c
	}
	fmt.Fprintf(w, "ppl.ParamStore loaded from the checkpoint: %d tensors, %d parameters\n", len(store.Names()), res.NParams)

	pairs := [2]pair{newPair(vae.Config, float32Arith), newPair(vae.Config, float64Arith)}
	test := splits.Test.Head(sz.points).Binarize(rand.New(rand.NewPCG(cfg.Seed, 7)))
	res.Points = test.N

	// The pair's trace on one image: what ppl sees of the VAE.
	x0 := test.Float64Row(nil, 0)
	if err := describe(&res, pairs[0], store, x0, cfg.Seed); err != nil {
		return res, err
	}
	fmt.Fprintln(w, "\nThe VAE as a ppl model/guide pair (one traced run, K = 4 particles):")
	for _, s := range res.Sites {
		fmt.Fprintln(w, "  "+s)
	}
	fmt.Fprintf(w, "  parameters read with Tracer.Param: %v\n", res.Params)

	// The estimators, built-in against ppl, with the same seeds.
	for m := range nMethods {
		r := row{Method: m, K: sz.k, MinStdErr: math.Inf(1)}
		if m == methIWAE {
			r.K = sz.iwaeK
		}
		var built []mc.Estimate
		var viaPPL [2][]mc.Estimate
		for i := range test.N {
			x := test.Float64Row(nil, i)
			c := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, uint64(i), uint64(m))}
			b, err := estimateBuiltIn(vae, m, sz, x, c)
			if err != nil {
				return res, fmt.Errorf("built-in %s, image %d: %w", methodNames[m], i, err)
			}
			built = append(built, b)
			r.MinStdErr = math.Min(r.MinStdErr, b.StdErr)
			for a, p := range pairs {
				e, err := estimatePPL(p, store, m, sz, x, c)
				if err != nil {
					return res, fmt.Errorf("ppl (%v) %s, image %d: %w", p.arith, methodNames[m], i, err)
				}
				viaPPL[a] = append(viaPPL[a], e)
				d := math.Abs(e.LogPX - b.LogPX)
				r.MaxDiff[a] = math.Max(r.MaxDiff[a], d)
				if e.LogPX == b.LogPX {
					r.Identical[a]++
				}
			}
		}
		r.BuiltIn = mc.Average(built)
		res.Elapsed[0] += r.BuiltIn.Elapsed
		for a := range pairs {
			r.PPL[a] = mc.Average(viaPPL[a])
			res.Elapsed[1+a] += r.PPL[a].Elapsed
		}
		res.Rows = append(res.Rows, r)
	}

	fmt.Fprintf(w, "\nlog p(x) of %d binarised test digits, mean over images (nats); the same mc.Config seed on both sides.\n", test.N)
	fmt.Fprintf(w, "max |Δ|: largest |ppl − built-in| over the images; same: images where they are equal bit for bit.\n\n")
	t := notebook.NewTable(w, "estimator", "K", "built-in VAE (mc)", "ppl pair, float32", "max |Δ|", "same", "ppl pair, float64", "max |Δ|", "same")
	for _, r := range res.Rows {
		k := fmt.Sprint(r.K)
		if r.Method == methIWAE {
			k = fmt.Sprintf("%d ×%d reps", r.K, sz.reps)
		}
		t.Append(methodNames[r.Method], k, notebook.PlusMinus(r.BuiltIn.LogPX, r.BuiltIn.StdErr, 4, 2),
			fmt.Sprintf("%.6f", r.PPL[0].LogPX), fmt.Sprintf("%.1e", r.MaxDiff[0]), fmt.Sprintf("%d/%d", r.Identical[0], test.N),
			fmt.Sprintf("%.6f", r.PPL[1].LogPX), fmt.Sprintf("%.1e", r.MaxDiff[1]), fmt.Sprintf("%d/%d", r.Identical[1], test.N))
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "time: built-in %v, ppl float32 %v, ppl float64 %v\n",
		res.Elapsed[0].Round(time.Millisecond), res.Elapsed[1].Round(time.Millisecond), res.Elapsed[2].Round(time.Millisecond))

	// Where the two sides part: one image, draw by draw.
	if err := compareDraws(&res, vae, pairs, store, x0, sz.draws, cfg.Seed); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\nStage by stage on test image 0, %d draws from one seed (ppl.LogWeights against the VAE's methods):\n\n", sz.draws)
	t = notebook.NewTable(w, "quantity", "float32 pair: max |Δ|", "same", "float64 pair: max |Δ|", "same")
	for _, s := range res.Stages {
		t.Append(s.Name, fmt.Sprintf("%.1e", s.MaxDiff[0]), fmt.Sprintf("%d/%d", s.Identical[0], s.N),
			fmt.Sprintf("%.1e", s.MaxDiff[1]), fmt.Sprintf("%d/%d", s.Identical[1], s.N))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		path := filepath.Join(cfg.Out, "logweight_differences.png")
		if err := plotDiffs(path, res); err != nil {
			return res, err
		}
		res.Figures = append(res.Figures, path)
		fmt.Fprintf(w, "\nFigures: %v\n", res.Figures)
	}
	return res, nil
}

// train fits a Bernoulli VAE on the training digits with the amortized
// trainer (gradients by compiled automatic differentiation).
func train(data *dataset.Dataset, sz size, seed uint64) (*amortized.VAE, error) {
	vae, err := amortized.NewVAE(amortized.VAEConfig{
		DataDim: data.D, Latent: sz.latent, Hidden: sz.hidden, Activation: amortized.ReLU, Likelihood: amortized.Bernoulli,
	}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		return nil, err
	}
	tr, err := amortized.NewVAETrainer(vae, amortized.TrainConfig{
		BatchSize: 100, Seed: seed, Adam: vi.AdamConfig{LR: sz.lr}, Binarization: dataset.Dynamic,
	})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	for range sz.epochs {
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			return nil, err
		}
	}
	return vae, nil
}

// estimateBuiltIn runs estimator m of package mc on the VAE itself, with
// vae.Proposal(x) as q.
func estimateBuiltIn(vae *amortized.VAE, m int, sz size, x []float64, c mc.Config) (mc.Estimate, error) {
	switch m {
	case methPrior:
		return mc.Prior(vae, x, sz.k, c)
	case methIS:
		return mc.Importance(vae, vae.Proposal(x), x, sz.k, c)
	case methELBO:
		return mc.ELBO(vae, vae.Proposal(x), x, sz.k, c)
	default:
		return mc.IWAE(vae, vae.Proposal(x), x, sz.iwaeK, sz.reps, c)
	}
}

// estimatePPL runs estimator m of package ppl on the model/guide pair.
func estimatePPL(p pair, store *ppl.ParamStore, m int, sz size, x []float64, c mc.Config) (mc.Estimate, error) {
	switch m {
	case methPrior:
		return ppl.Prior(p.model, store, x, sz.k, c)
	case methIS:
		return ppl.Importance(p.model, p.guide, store, x, sz.k, c)
	case methELBO:
		return ppl.ELBO(p.model, p.guide, store, x, sz.k, c)
	default:
		return ppl.IWAE(p.model, p.guide, store, x, sz.iwaeK, sz.reps, c)
	}
}

// describe records the sites and parameters of one traced run of the pair.
func describe(res *results, p pair, store *ppl.ParamStore, x []float64, seed uint64) error {
	_, g, m, err := ppl.LogWeights(p.model, p.guide, store, x, 4, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		return err
	}
	for _, tr := range []struct {
		who string
		tr  *ppl.Trace
	}{{"guide", g}, {"model", m}} {
		for _, s := range tr.tr.Sites {
			r, c := s.Value.Dims()
			res.Sites = append(res.Sites, fmt.Sprintf("%s site %q: %v, %T, value %d×%d", tr.who, s.Name, s.Kind, s.Dist, r, c))
		}
		res.Params = append(res.Params, tr.tr.Params...)
	}
	return nil
}

// compareDraws compares, for draws of z from one seed, each quantity that
// the pair computes with its counterpart in the built-in VAE.
func compareDraws(res *results, vae *amortized.VAE, pairs [2]pair, store *ppl.ParamStore, x []float64, k int, seed uint64) error {
	// The built-in side, as mc computes a log-weight.
	q := vae.Proposal(x)
	z := mat.NewDense(k, vae.LatentDim(), nil)
	q.Sample(z, rand.New(rand.NewPCG(seed, 5)))
	out := vae.Decode(z)
	ll := vae.LogLikelihood(nil, x, z)
	lp, lq := vae.Prior().LogProb(nil, z), q.LogProb(nil, z)
	lw := slices.Clone(ll)
	floats.Add(lw, lp)
	floats.Sub(lw, lq)
	res.LogLik, res.LogW = ll, lw

	stages := []stage{
		{Name: "q(z|x): loc and log-scale (guide vs vae.Proposal)"},
		{Name: "z: draws from q with the same stream"},
		{Name: "log q(z|x): both dist.Normal"},
		{Name: "log p(z): both dist.StdNormal"},
		{Name: "decoder output at those z (model vs vae.Decode)"},
		{Name: "log p(x|z): dist.Bernoulli vs vae.LogLikelihood"},
		{Name: "log-weight log p(x,z) − log q(z|x)"},
	}
	if vae.Config.Likelihood == amortized.Gaussian {
		stages[5].Name = "log p(x|z): dist.Normal vs vae.LogLikelihood"
	}
	for a, p := range pairs {
		logw, g, m, err := ppl.LogWeights(p.model, p.guide, store, x, k, rand.New(rand.NewPCG(seed, 5)))
		if err != nil {
			return err
		}
		gz := g.Site("z")
		qn := gz.Dist.(dist.Normal)
		obs := m.Site("x")
		var pout *mat.Dense
		switch d := obs.Dist.(type) {
		case dist.Bernoulli:
			pout = d.Logits
		case dist.Normal:
			pout = d.Loc
		}
		cmp := func(s *stage, got, want []float64) {
			s.N += len(got)
			for i := range got {
				d := math.Abs(got[i] - want[i])
				s.MaxDiff[a] = math.Max(s.MaxDiff[a], d)
				if got[i] == want[i] {
					s.Identical[a]++
				}
			}
		}
		cmp(&stages[0], append(slices.Clone(qn.Loc.RawRowView(0)), qn.LogScale.RawRowView(0)...),
			append(slices.Clone(q.Loc.RawRowView(0)), q.LogScale.RawRowView(0)...))
		cmp(&stages[1], gz.Value.RawMatrix().Data, z.RawMatrix().Data)
		cmp(&stages[2], gz.LogProb, lq)
		cmp(&stages[3], m.Site("z").LogProb, lp)
		cmp(&stages[4], pout.RawMatrix().Data, out.RawMatrix().Data)
		cmp(&stages[5], obs.LogProb, ll)
		cmp(&stages[6], logw, lw)
		diff := make([]float64, k)
		floats.SubTo(diff, logw, lw)
		res.DiffLogW[a] = diff
	}
	// Each stage was counted once per arith.
	for i := range stages {
		stages[i].N /= 2
	}
	res.Stages = stages
	return nil
}

// plotDiffs writes the scatter of log10 |Δ| per draw against the draw's
// log-weight.
func plotDiffs(path string, res results) error {
	var xs, ys []float64
	var labels []int
	for a := range res.DiffLogW {
		for i, d := range res.DiffLogW[a] {
			xs = append(xs, res.LogW[i])
			ys = append(ys, math.Log10(math.Abs(d))) // −Inf (bit-identical) is skipped
			labels = append(labels, a)
		}
	}
	p, err := figure.Scatter(xs, ys, labels, figure.ScatterOptions{
		Title:      "ppl model/guide pair against the built-in VAE, per draw (bit-identical draws not shown)",
		XLabel:     "log-weight log p(x,z) − log q(z|x) of the draw (nats)",
		YLabel:     "log10 |ppl − built-in| (nats)",
		LabelNames: []string{"float32 pair", "float64 pair"},
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return figure.Save(path, p, 0, 0)
}
