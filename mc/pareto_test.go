package mc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gpdLogSample returns the logs of s draws from the generalised Pareto
// distribution with shape k, scale 1 and location 0, by inversion.
func gpdLogSample(s int, k float64, rnd *rand.Rand) []float64 {
	lw := make([]float64, s)
	for i := range lw {
		u := rnd.Float64()
		lw[i] = math.Log(math.Expm1(-k*math.Log1p(-u)) / k)
	}
	return lw
}

func TestParetoKHatRecoversShape(t *testing.T) {
	const s = 1_000_000
	m := float64(tailLen(s)) // 3000 tail draws
	for i, k := range []float64{0.2, 0.5, 0.8, 1.2} {
		lw := gpdLogSample(s, k, rand.New(rand.NewPCG(7, uint64(i))))
		got := ParetoKHat(lw)
		// The exceedances over an order statistic are again GPD with shape
		// k, so k̂ is the fit to M = 3000 GPD draws: asymptotic standard
		// deviation (1+k)/√M for the (near-efficient) Zhang–Stephens
		// estimator, plus the prior's pull (0.5−k)·10/(M+10) towards 0.5.
		sd := (1 + k) / math.Sqrt(m)
		want := (m*k + 10*0.5) / (m + 10)
		if math.Abs(got-want) > 4*sd {
			t.Errorf("k=%v: k̂ = %.4f, want %.4f ± %.4f", k, got, want, 4*sd)
		}
	}
}

func TestParetoKHatLightTails(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 0))
	const s = 100_000
	uniform := make([]float64, s) // bounded weights: tail shape −1
	lognormal := make([]float64, s)
	for i := range uniform {
		uniform[i] = math.Log(rnd.Float64())
		lognormal[i] = 0.1 * rnd.NormFloat64()
	}
	if k := ParetoKHat(uniform); !(k < 0) {
		t.Errorf("uniform weights: k̂ = %v, want < 0", k)
	}
	if k := ParetoKHat(lognormal); !(k < 0.5) {
		t.Errorf("log-normal(0, 0.1²) weights: k̂ = %v, want < 0.5", k)
	}
}

func TestParetoKHatShiftInvariant(t *testing.T) {
	lw := gpdLogSample(5000, 0.6, rand.New(rand.NewPCG(9, 0)))
	k0 := ParetoKHat(lw)
	for _, c := range []float64{-2000, 1000} {
		sh := make([]float64, len(lw))
		for i, v := range lw {
			sh[i] = v + c
		}
		if k := ParetoKHat(sh); math.Abs(k-k0) > 1e-9 {
			t.Errorf("shift %v: k̂ = %v, want %v", c, k, k0)
		}
	}
	if lw[0] != gpdLogSample(1, 0.6, rand.New(rand.NewPCG(9, 0)))[0] {
		t.Error("ParetoKHat modified its argument")
	}
}

func TestParetoKHatUndefined(t *testing.T) {
	rnd := rand.New(rand.NewPCG(10, 0))
	normal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rnd.NormFloat64()
		}
		return v
	}
	withNaN := normal(100)
	withNaN[5] = math.NaN()
	withInf := normal(100)
	withInf[5] = math.Inf(1)
	allZero := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	constant := make([]float64, 100)
	for _, tc := range []struct {
		name string
		lw   []float64
	}{
		{"empty", nil},
		{"20 draws", normal(20)},
		{"NaN", withNaN},
		{"+Inf", withInf},
		{"zero weights", allZero},
		{"constant", constant},
	} {
		if k := ParetoKHat(tc.lw); !math.IsNaN(k) {
			t.Errorf("%s: k̂ = %v, want NaN", tc.name, k)
		}
	}
	// 30 draws give a tail of 6 above the threshold: defined.
	if k := ParetoKHat(normal(30)); math.IsNaN(k) {
		t.Error("30 draws: k̂ is NaN")
	}
}
