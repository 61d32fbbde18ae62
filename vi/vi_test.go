package vi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestAdamHandComputed(t *testing.T) {
	a, err := NewAdam[float32](AdamConfig{LR: 0.1}, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float32{{1, -3}}
	// Step 1 with g = (2, -0.5): m̂ = g, v̂ = g², so θ moves by lr·g/(|g|+ε).
	a.Step(p, [][]float32{{2, -0.5}})
	want1 := []float64{1 - 0.1*2/(2+1e-8), -3 + 0.1*0.5/(0.5+1e-8)}
	// Step 2 with g = (-1, -0.5), by hand for the first coordinate:
	// m = 0.9·0.2 + 0.1·(−1) = 0.08, v = 0.999·0.004 + 0.001·1 = 0.004996,
	// m̂ = 0.08/(1−0.9²), v̂ = 0.004996/(1−0.999²).
	// Second coordinate: constant gradient, so m̂ = g and v̂ = g² again.
	for i, w := range want1 {
		if math.Abs(float64(p[0][i])-w) > 1e-6 {
			t.Errorf("step 1: θ[%d] = %v, want %v", i, p[0][i], w)
		}
	}
	a.Step(p, [][]float32{{-1, -0.5}})
	want2 := []float64{
		want1[0] - 0.1*(0.08/0.19)/(math.Sqrt(0.004996/0.001999)+1e-8),
		want1[1] + 0.1*0.5/(0.5+1e-8),
	}
	for i, w := range want2 {
		if math.Abs(float64(p[0][i])-w) > 1e-6 {
			t.Errorf("step 2: θ[%d] = %v, want %v", i, p[0][i], w)
		}
	}
	if a.Steps() != 2 {
		t.Errorf("Steps() = %d, want 2", a.Steps())
	}
}

func TestAdamClip(t *testing.T) {
	a, err := NewAdam[float32](AdamConfig{LR: 0.1, ClipNorm: 1}, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	g := [][]float32{{3, 4}}
	norm := a.Step([][]float32{{0, 0}}, g)
	if norm != 5 {
		t.Errorf("returned norm %v, want 5", norm)
	}
	if got := GlobalNorm(g); math.Abs(got-1) > 1e-6 {
		t.Errorf("clipped gradient norm %v, want 1", got)
	}
	// Below the threshold the gradient is untouched.
	g = [][]float32{{0.3, 0.4}}
	a.Step([][]float32{{0, 0}}, g)
	if g[0][0] != 0.3 || g[0][1] != 0.4 {
		t.Errorf("gradient below the clip norm was changed to %v", g[0])
	}
}

// TestAdamQuadratic minimises f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)² with curvatures
// spanning two orders of magnitude; Adam must reach the minimum to well
// below the initial distance.
func TestAdamQuadratic(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const n = 20
	a := make([]float64, n)
	c := make([]float64, n)
	p := [][]float32{make([]float32, n)}
	for i := range a {
		a[i] = math.Pow(10, 2*rnd.Float64()-1)
		c[i] = 3 * rnd.NormFloat64()
	}
	f := func(step int, g [][]float32) (float64, error) {
		var l float64
		for i := range a {
			d := float64(p[0][i]) - c[i]
			l += 0.5 * a[i] * d * d
			g[0][i] = float32(a[i] * d)
		}
		return l, nil
	}
	opt, err := NewAdam[float32](AdamConfig{LR: 0.05}, []int{n})
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	last, err := Fit(f, p, [][]float32{make([]float32, n)}, opt, FitConfig{
		Steps:    3000,
		Callback: func(int, float64, float64) error { calls++; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3000 {
		t.Errorf("callback called %d times, want 3000", calls)
	}
	for i := range c {
		if math.Abs(float64(p[0][i])-c[i]) > 1e-2 {
			t.Errorf("θ[%d] = %v, want %v", i, p[0][i], c[i])
		}
	}
	if last > 1e-3 {
		t.Errorf("final loss %v", last)
	}
}

// TestAdamStateRestore checks that saving and restoring the state resumes
// the exact trajectory.
func TestAdamStateRestore(t *testing.T) {
	grad := func(s int) [][]float32 {
		return [][]float32{{float32(math.Sin(float64(s))), float32(s % 3)}, {float32(-s)}}
	}
	lens := []int{2, 1}
	a, _ := NewAdam[float32](AdamConfig{LR: 0.01}, lens)
	p := [][]float32{{1, 2}, {3}}
	for s := 0; s < 5; s++ {
		a.Step(p, grad(s))
	}
	saved := a.State()
	pSaved := [][]float32{append([]float32(nil), p[0]...), append([]float32(nil), p[1]...)}
	for s := 5; s < 10; s++ {
		a.Step(p, grad(s))
	}
	b, _ := NewAdam[float32](AdamConfig{LR: 0.01}, lens)
	if err := b.SetState(saved); err != nil {
		t.Fatal(err)
	}
	for s := 5; s < 10; s++ {
		b.Step(pSaved, grad(s))
	}
	for i := range p {
		for j := range p[i] {
			if p[i][j] != pSaved[i][j] {
				t.Errorf("resumed θ[%d][%d] = %v, uninterrupted %v", i, j, pSaved[i][j], p[i][j])
			}
		}
	}
	// The state returned is a copy.
	saved.M[0][0] = 42
	if a.State().M[0][0] == 42 {
		t.Error("State shares memory with the optimiser")
	}
	if err := b.SetState(AdamState[float32]{M: [][]float32{{0}}, V: [][]float32{{0}}}); !errors.Is(err, ErrStateShape) {
		t.Errorf("mismatched state gave %v, want ErrStateShape", err)
	}
}

func TestAdamConfigValidate(t *testing.T) {
	bad := []AdamConfig{
		{LR: -1}, {Beta1: 1}, {Beta2: -0.1}, {Eps: -1}, {ClipNorm: -1}, {LR: math.NaN()},
	}
	for _, c := range bad {
		if _, err := NewAdam[float32](c, []int{1}); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	a, err := NewAdam[float32](AdamConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Config(); got.LR != 1e-3 || got.Beta1 != 0.9 || got.Beta2 != 0.999 || got.Eps != 1e-8 {
		t.Errorf("defaults %+v", got)
	}
}

func TestWarmup(t *testing.T) {
	cases := []struct {
		n, t int
		want float64
	}{
		{0, 0, 1}, {0, 7, 1}, {-3, 0, 1},
		{4, 0, 0}, {4, 1, 0.25}, {4, 2, 0.5}, {4, 3, 0.75}, {4, 4, 1}, {4, 100, 1},
		{10, -1, 0},
	}
	for _, c := range cases {
		if got := (Warmup{N: c.n}).Beta(c.t); got != c.want {
			t.Errorf("Warmup{%d}.Beta(%d) = %v, want %v", c.n, c.t, got, c.want)
		}
	}
}

func TestFitStops(t *testing.T) {
	opt, _ := NewAdam[float32](AdamConfig{}, []int{1})
	p, g := [][]float32{{0}}, [][]float32{{0}}
	stop := errors.New("stop")
	_, err := Fit(func(int, [][]float32) (float64, error) { return 1, nil }, p, g, opt,
		FitConfig{Steps: 10, Callback: func(s int, _, _ float64) error {
			if s == 3 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) || opt.Steps() != 4 {
		t.Errorf("callback error: got %v after %d steps", err, opt.Steps())
	}
	_, err = Fit(func(int, [][]float32) (float64, error) { return math.NaN(), nil }, p, g, opt, FitConfig{Steps: 3})
	if err == nil {
		t.Error("NaN loss did not stop Fit")
	}
}

func ExampleAdam() {
	// Minimise (θ − 3)² from θ = 0.
	theta := [][]float32{{0}}
	grads := [][]float32{{0}}
	opt, err := NewAdam[float32](AdamConfig{LR: 0.1}, []int{1})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 500; i++ {
		grads[0][0] = 2 * (theta[0][0] - 3)
		opt.Step(theta, grads)
	}
	fmt.Printf("%.2f\n", theta[0][0])
	// Output: 3.00
}

// TestSGD checks one momentum step against torch.optim.SGD's rule and that
// SGD minimises a quadratic in float64.
func TestSGD(t *testing.T) {
	s, err := NewSGD[float64](SGDConfig{LR: 0.1, Momentum: 0.9}, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	p, g := [][]float64{{1}}, [][]float64{{2}}
	s.Step(p, g) // b = 2, θ = 1 − 0.2
	g[0][0] = 1
	s.Step(p, g) // b = 0.9·2 + 1 = 2.8, θ = 0.8 − 0.28
	if want := 0.52; math.Abs(p[0][0]-want) > 1e-15 {
		t.Errorf("θ after two momentum steps = %v, want %v", p[0][0], want)
	}
	for _, cfg := range []SGDConfig{{LR: 0.05}, {LR: 0.05, Momentum: 0.5}, {LR: 0.05, Momentum: 0.5, Nesterov: true}} {
		opt, _ := NewSGD[float64](cfg, []int{1})
		x := [][]float64{{3}}
		last, err := Fit(func(_ int, g [][]float64) (float64, error) {
			g[0][0] = 2 * (x[0][0] - 1)
			return (x[0][0] - 1) * (x[0][0] - 1), nil
		}, x, [][]float64{{0}}, Optimizer[float64](opt), FitConfig{Steps: 300})
		if err != nil || math.Abs(x[0][0]-1) > 1e-6 || last > 1e-10 {
			t.Errorf("%+v: x = %v, loss %v, err %v", cfg, x[0][0], last, err)
		}
	}
	for _, bad := range []SGDConfig{{}, {LR: 1, Momentum: 1}, {LR: 1, Nesterov: true}, {LR: 1, ClipNorm: -1}} {
		if _, err := NewSGD[float64](bad, []int{1}); err == nil {
			t.Errorf("NewSGD accepted %+v", bad)
		}
	}
}

func TestSchedules(t *testing.T) {
	e := ExponentialDecay{Initial: 1, Gamma: 0.5, Every: 10}
	if e.LR(0) != 1 || e.LR(9) != 1 || e.LR(10) != 0.5 || e.LR(25) != 0.25 {
		t.Errorf("ExponentialDecay: %v %v %v %v", e.LR(0), e.LR(9), e.LR(10), e.LR(25))
	}
	c := CosineDecay{Initial: 1, Min: 0.1, Steps: 100}
	if c.LR(0) != 1 || math.Abs(c.LR(50)-0.55) > 1e-15 || c.LR(100) != 0.1 || c.LR(500) != 0.1 {
		t.Errorf("CosineDecay: %v %v %v", c.LR(0), c.LR(50), c.LR(100))
	}
	// Fit applies the schedule before every step.
	opt, _ := NewSGD[float64](SGDConfig{LR: 1}, []int{1})
	x := [][]float64{{0}}
	var lrs []float64
	Fit(func(_ int, g [][]float64) (float64, error) { g[0][0] = 1; return 0, nil }, x, [][]float64{{0}}, Optimizer[float64](opt),
		FitConfig{Steps: 3, Schedule: ExponentialDecay{Initial: 1, Gamma: 0.5, Every: 1}, Callback: func(int, float64, float64) error {
			lrs = append(lrs, opt.cfg.LR)
			return nil
		}})
	if len(lrs) != 3 || lrs[0] != 1 || lrs[1] != 0.5 || lrs[2] != 0.25 || x[0][0] != -1.75 {
		t.Errorf("scheduled rates %v, x = %v", lrs, x[0][0])
	}
}
