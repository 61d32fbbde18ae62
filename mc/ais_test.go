package mc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// testLG returns a random linear-Gaussian model and one data point drawn
// from it.
func testLG(D, d int, noise float64, seed uint64) (latent.LinearGaussian, []float64) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	lg := latent.NewRandomLinearGaussian(D, d, noise, rnd)
	x := mat.NewDense(1, D, nil)
	lg.SampleData(x, rnd)
	return lg, x.RawRowView(0)
}

// TestSigmoidal checks the schedule's ends, monotonicity and symmetry.
func TestSigmoidal(t *testing.T) {
	for _, T := range []int{1, 2, 7, 100} {
		s := Sigmoidal(T, 4)
		if len(s) != T+1 || s[0] != 0 || s[T] != 1 {
			t.Fatalf("T=%d: %v", T, s)
		}
		for i := 1; i <= T; i++ {
			if !(s[i] > s[i-1]) {
				t.Errorf("T=%d: not increasing at %d: %v", T, i, s)
			}
			if d := s[i] + s[T-i] - 1; math.Abs(d) > 1e-12 {
				t.Errorf("T=%d: β_%d + β_%d = 1%+g, want 1 (symmetric)", T, i, T-i, d)
			}
		}
	}
}

// TestAISOneStepIsImportance checks that AIS with T = 1 is importance
// sampling with the start distribution, draw for draw.
func TestAISOneStepIsImportance(t *testing.T) {
	lg, x := testLG(6, 3, 0.5, 1)
	for _, tc := range []struct {
		name string
		q    dist.Distribution
	}{
		{"prior", lg.Prior()},
		{"mean-field", lg.MeanField(x)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Seed: 5, ChunkSize: 64}
			const C = 1000
			got, err := AIS(lg, tc.q, x, AISConfig{Steps: 1, Chains: C}, c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Importance(lg, tc.q, x, C, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				name string
				g, w float64
			}{{"LogPX", got.LogPX, want.LogPX}, {"StdErr", got.StdErr, want.StdErr}, {"ESS", got.ESS, want.ESS}, {"KHat", got.KHat, want.KHat}} {
				if math.Abs(f.g-f.w) > 1e-9*math.Max(1, math.Abs(f.w)) {
					t.Errorf("%s = %v, importance sampling gives %v", f.name, f.g, f.w)
				}
			}
			if got.GradEvals != 0 || got.Samples != C || !math.IsNaN(got.AcceptRate) {
				t.Errorf("GradEvals = %d, Samples = %d, AcceptRate = %v; want 0, %d, NaN", got.GradEvals, got.Samples, got.AcceptRate, C)
			}
		})
	}
}

// TestAISConvergesLinearGaussian runs AIS from the prior with a growing
// number of steps on a linear-Gaussian model whose posterior is far narrower
// than the prior: the error against the exact log p(x) must shrink and, at
// the largest T, lie within four standard errors.
func TestAISConvergesLinearGaussian(t *testing.T) {
	lg, x := testLG(20, 4, 0.3, 2)
	exact := lg.LogEvidence(x)
	steps := []int{10, 100}
	if !testing.Short() {
		steps = append(steps, 1000)
	}
	var errs []float64
	for _, T := range steps {
		est, err := AIS(lg, lg.Prior(), x, AISConfig{Steps: T, Chains: 32}, Config{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		e := est.LogPX - exact
		t.Logf("T=%4d: log p̂ = %.4f ± %.4f, exact %.4f, error %+.4f, acceptance %.2f, ESS %.1f, grads %d",
			T, est.LogPX, est.StdErr, exact, e, est.AcceptRate, est.ESS, est.GradEvals)
		errs = append(errs, math.Abs(e))
		if T >= 100 && (est.AcceptRate < 0.4 || est.AcceptRate > 0.9) {
			t.Errorf("T=%d: acceptance rate %.2f, the warm-up targets %.2f", T, est.AcceptRate, DefaultTargetAccept)
		}
		if T == steps[len(steps)-1] && math.Abs(e) > 4*est.StdErr {
			t.Errorf("T=%d: error %v exceeds four standard errors (%v)", T, e, est.StdErr)
		}
	}
	if errs[len(errs)-1] >= errs[0] {
		t.Errorf("the error did not shrink with T: %v", errs)
	}
}

// mixPriorModel is a continuous model with a two-component mixture prior,
// z ~ ½ N(−m, s² I) + ½ N(m, s² I), and x | z ~ N(z, σ² I): its posterior
// is bimodal for x near 0, and p(x) = Σ_k ½ N(x; ±m, (s² + σ²) I).
type mixPriorModel struct {
	d       int
	m, s, σ float64
}

func (mm mixPriorModel) LatentDim() int { return mm.d }
func (mm mixPriorModel) DataDim() int   { return mm.d }

func (mm mixPriorModel) Prior() dist.Distribution { return mixPrior{mm} }

// logPrior returns log p(z) and adds its gradient to g.
func (mm mixPriorModel) logPrior(z, g []float64) float64 {
	var l [2]float64
	for k, c := range []float64{-mm.m, mm.m} {
		for _, v := range z {
			u := (v - c) / mm.s
			l[k] += -0.5*u*u - math.Log(mm.s) - 0.5*math.Log(2*math.Pi)
		}
	}
	mx := math.Max(l[0], l[1])
	w0, w1 := math.Exp(l[0]-mx), math.Exp(l[1]-mx)
	r0, r1 := w0/(w0+w1), w1/(w0+w1)
	if g != nil {
		for j, v := range z {
			g[j] += -(r0*(v+mm.m) + r1*(v-mm.m)) / (mm.s * mm.s)
		}
	}
	return mx + math.Log(0.5*(w0+w1))
}

func (mm mixPriorModel) LogLikelihood(dst, x []float64, z mat.Matrix) []float64 {
	r, _ := z.Dims()
	if dst == nil {
		dst = make([]float64, r)
	}
	for i := range dst {
		s := 0.0
		for j, xj := range x {
			u := (xj - z.At(i, j)) / mm.σ
			s -= 0.5*u*u + math.Log(mm.σ) + 0.5*math.Log(2*math.Pi)
		}
		dst[i] = s
	}
	return dst
}

func (mm mixPriorModel) LogJointGrad(dst []float64, grad *mat.Dense, x []float64, z mat.Matrix) []float64 {
	dst = mm.LogLikelihood(dst, x, z)
	r, _ := z.Dims()
	for i := range r {
		g := grad.RawRowView(i)
		zi := mat.Row(nil, i, z)
		for j := range g {
			g[j] = (x[j] - zi[j]) / (mm.σ * mm.σ)
		}
		dst[i] += mm.logPrior(zi, g)
	}
	return dst
}

func (mm mixPriorModel) logEvidence(x []float64) float64 {
	v := mm.s*mm.s + mm.σ*mm.σ
	var l [2]float64
	for k, c := range []float64{-mm.m, mm.m} {
		for _, xj := range x {
			u := xj - c
			l[k] += -0.5*u*u/v - 0.5*math.Log(2*math.Pi*v)
		}
	}
	mx := math.Max(l[0], l[1])
	return mx + math.Log(0.5*(math.Exp(l[0]-mx)+math.Exp(l[1]-mx)))
}

type mixPrior struct{ mm mixPriorModel }

func (p mixPrior) Dim() int { return p.mm.d }
func (p mixPrior) Len() int { return 1 }
func (p mixPrior) LogProb(dst []float64, z mat.Matrix) []float64 {
	r, _ := z.Dims()
	for i := range r {
		dst[i] = p.mm.logPrior(mat.Row(nil, i, z), nil)
	}
	return dst
}
func (p mixPrior) Sample(dst *mat.Dense, rnd *rand.Rand) {
	r, c := dst.Dims()
	for i := range r {
		sign := 1.0
		if rnd.Float64() < 0.5 {
			sign = -1
		}
		for j := range c {
			dst.Set(i, j, sign*p.mm.m+p.mm.s*rnd.NormFloat64())
		}
	}
}

// TestAISMixturePrior checks AIS on a bimodal posterior, from a broad
// Gaussian start (through the tape path for the start's gradient), and the
// gradient of the test model against finite differences.
func TestAISMixturePrior(t *testing.T) {
	mm := mixPriorModel{d: 2, m: 2, s: 0.5, σ: 0.4}
	x := []float64{0.1, -0.2}
	exact := mm.logEvidence(x)
	q := dist.Normal{Loc: mat.NewDense(1, 2, nil), LogScale: mat.NewDense(1, 2, []float64{math.Log(3), math.Log(3)})}
	// Gradient check of the model itself.
	z := mat.NewDense(1, 2, []float64{0.3, -0.7})
	g := mat.NewDense(1, 2, nil)
	mm.LogJointGrad(nil, g, x, z)
	for j := range 2 {
		h := 1e-6
		zp, zm := mat.DenseCopyOf(z), mat.DenseCopyOf(z)
		zp.Set(0, j, z.At(0, j)+h)
		zm.Set(0, j, z.At(0, j)-h)
		fd := (latent.LogJoint(nil, mm, x, zp)[0] - latent.LogJoint(nil, mm, x, zm)[0]) / (2 * h)
		if math.Abs(fd-g.At(0, j)) > 1e-6 {
			t.Fatalf("test model gradient %d: %v, finite differences %v", j, g.At(0, j), fd)
		}
	}
	est, err := AIS(mm, q, x, AISConfig{Steps: 200, Chains: 64}, Config{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("log p̂ = %.4f ± %.4f, exact %.4f, acceptance %.2f, ESS %.1f", est.LogPX, est.StdErr, exact, est.AcceptRate, est.ESS)
	if math.Abs(est.LogPX-exact) > 4*est.StdErr+0.02 {
		t.Errorf("AIS %v ± %v, exact %v", est.LogPX, est.StdErr, exact)
	}
}

// TestAISWorkersBitIdentical checks that the number of workers does not
// change a single bit of the estimate.
func TestAISWorkersBitIdentical(t *testing.T) {
	lg, x := testLG(8, 3, 0.5, 4)
	var first AISEstimate
	for i, w := range []int{1, 2, 5} {
		est, err := AIS(lg, lg.Prior(), x, AISConfig{Steps: 20, Chains: 21, Leapfrog: 3}, Config{Seed: 11, ChunkSize: 4, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = est
			continue
		}
		if math.Float64bits(est.LogPX) != math.Float64bits(first.LogPX) || math.Float64bits(est.AcceptRate) != math.Float64bits(first.AcceptRate) {
			t.Errorf("workers=%d: %v (acceptance %v), workers=1: %v (%v)", w, est.LogPX, est.AcceptRate, first.LogPX, first.AcceptRate)
		}
	}
}

// TestAISSandwichBrackets checks on simulated linear-Gaussian data that the
// forward and reverse AIS bounds bracket the exact log p(x) and that the gap
// shrinks with the number of steps.
func TestAISSandwichBrackets(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	lg := latent.NewRandomLinearGaussian(15, 4, 0.3, rnd)
	zs := make([]float64, 4)
	for j := range zs {
		zs[j] = rnd.NormFloat64()
	}
	x := make([]float64, 15)
	mat.NewVecDense(15, x).MulVec(lg.W, mat.NewVecDense(4, zs))
	for j := range x {
		x[j] += lg.B[j] + lg.NoiseStd*rnd.NormFloat64()
	}
	exact := lg.LogEvidence(x)
	var gaps []float64
	for _, T := range []int{10, 200} {
		s, err := AISSandwich(lg, lg.Prior(), x, zs, AISConfig{Steps: T, Chains: 32}, Config{Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("T=%3d: lower %.4f ± %.4f, upper %.4f ± %.4f, exact %.4f, gap %.4f", T, s.Lower.LogPX, s.Lower.StdErr, s.Upper.LogPX, s.Upper.StdErr, exact, s.Gap)
		if s.Lower.LogPX > exact+3*s.Lower.StdErr || s.Upper.LogPX < exact-3*s.Upper.StdErr {
			t.Errorf("T=%d: [%v, %v] does not bracket %v", T, s.Lower.LogPX, s.Upper.LogPX, exact)
		}
		gaps = append(gaps, s.Gap)
	}
	if !(gaps[1] < gaps[0]) {
		t.Errorf("the gap did not shrink: %v", gaps)
	}
}

// TestAISContext checks that a cancelled context stops AIS with its error.
func TestAISContext(t *testing.T) {
	lg, x := testLG(8, 3, 0.5, 4)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	c := Config{Seed: 1, Context: ctx, Progress: func(n int) {
		steps += n
		cancel()
	}}
	_, err := AIS(lg, lg.Prior(), x, AISConfig{Steps: 1 << 20, Chains: 4, Leapfrog: 1, WarmupSteps: 2}, c)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestAISErrors checks the configuration errors.
func TestAISErrors(t *testing.T) {
	lg, x := testLG(4, 2, 0.5, 4)
	for _, tc := range []struct {
		a    AISConfig
		want string
	}{
		{AISConfig{Steps: 0, Chains: 1}, "steps"},
		{AISConfig{Steps: 2, Chains: 0}, "chains"},
		{AISConfig{Steps: 2, Chains: 1, Schedule: []float64{0, 0.7, 0.5}}, "schedule"},
		{AISConfig{Steps: 2, Chains: 1, Schedule: []float64{0, 1}}, "schedule"},
		{AISConfig{Steps: 2, Chains: 1, TargetAccept: 1.5}, "acceptance"},
	} {
		t.Run(fmt.Sprint(tc.a), func(t *testing.T) {
			_, err := AIS(lg, lg.Prior(), x, tc.a, Config{})
			if err == nil || !containsFold(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
	if _, err := AIS(lg, diagNormal{mu: []float64{0, 0}, sd: []float64{1, 1}}, x, AISConfig{Steps: 2, Chains: 1}, Config{}); err == nil {
		t.Error("no error for a start distribution that is not differentiable")
	}
	_, err := AISSandwich(lg, lg.Prior(), x, []float64{0, 0, 0}, AISConfig{Steps: 2, Chains: 1}, Config{})
	if err == nil || !containsFold(err.Error(), "posterior sample has 3 values") {
		t.Errorf("AISSandwich with a posterior sample of the wrong length: error %v, want one naming its length", err)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
