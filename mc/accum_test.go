package mc

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/vitool/vitool/internal/logspace"
)

// direct returns log mean exp, Kish ESS and the delta-method standard error
// computed from the weights themselves in one batch.
func direct(lw []float64) (logMean, ess, se float64) {
	lse := logspace.LogSumExp(lw)
	n := float64(len(lw))
	var s1, s2 float64
	for _, v := range lw {
		w := math.Exp(v - lse) // normalised weights
		s1 += w
		s2 += w * w
	}
	ess = s1 * s1 / s2
	mean := s1 / n
	var ss float64
	for _, v := range lw {
		d := math.Exp(v-lse) - mean
		ss += d * d
	}
	// Var(log p̂) ≈ Var(w)/(n w̄²), with the unbiased sample variance.
	se = math.Sqrt(ss / (n - 1) / n / (mean * mean))
	return lse - math.Log(n), ess, se
}

func TestLSEMergeMatchesBatch(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name  string
		n     int
		scale float64
		shift float64
		ninf  int
	}{
		{"small", 10, 1, 0, 0},
		{"wide", 1000, 20, 0, 0},
		{"very negative", 500, 3, -5000, 0},
		{"very positive", 500, 3, 5000, 0},
		{"with zeros", 300, 2, 0, 50},
	} {
		lw := make([]float64, tc.n)
		for i := range lw {
			lw[i] = tc.shift + tc.scale*rnd.NormFloat64()
		}
		for i := range tc.ninf {
			lw[(i*7)%tc.n] = math.Inf(-1)
		}
		wantLM, wantESS, wantSE := direct(lw)
		// Random chunk boundaries, merged left to right.
		acc := newLSE()
		for lo := 0; lo < len(lw); {
			hi := min(len(lw), lo+1+rnd.IntN(40))
			var c lse
			c.setSlice(lw[lo:hi])
			acc.merge(c)
			lo = hi
		}
		if acc.n != tc.n {
			t.Errorf("%s: n = %d, want %d", tc.name, acc.n, tc.n)
		}
		tol := 1e-12 * math.Max(1, math.Abs(wantLM))
		if got := acc.logMean(); math.Abs(got-wantLM) > tol {
			t.Errorf("%s: logMean = %v, want %v", tc.name, got, wantLM)
		}
		if got := acc.ess(); math.Abs(got-wantESS) > 1e-10*wantESS {
			t.Errorf("%s: ess = %v, want %v", tc.name, got, wantESS)
		}
		if got := acc.stdErr(); math.Abs(got-wantSE) > 1e-9*wantSE {
			t.Errorf("%s: stdErr = %v, want %v", tc.name, got, wantSE)
		}
	}
}

func TestLSEDegenerate(t *testing.T) {
	inf := math.Inf(1)
	var a lse
	a.setSlice([]float64{math.Inf(-1), math.Inf(-1)})
	b := newLSE()
	b.merge(a)
	if got := b.logMean(); !math.IsInf(got, -1) {
		t.Errorf("all-zero weights: logMean = %v, want -Inf", got)
	}
	if got := b.ess(); got != 0 {
		t.Errorf("all-zero weights: ess = %v, want 0", got)
	}
	if got := b.stdErr(); got != inf {
		t.Errorf("all-zero weights: stdErr = %v, want +Inf", got)
	}
	var one lse
	one.setSlice([]float64{-3})
	if one.logMean() != -3 || one.ess() != 1 || one.stdErr() != inf {
		t.Errorf("one draw: got %v %v %v, want -3 1 +Inf", one.logMean(), one.ess(), one.stdErr())
	}
	var eq lse
	eq.setSlice([]float64{2, 2, 2, 2})
	if eq.logMean() != 2 || eq.ess() != 4 || eq.stdErr() != 0 {
		t.Errorf("equal weights: got %v %v %v, want 2 4 0", eq.logMean(), eq.ess(), eq.stdErr())
	}
}

func TestMomentsMerge(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	v := make([]float64, 997)
	for i := range v {
		v[i] = 1e6 + rnd.NormFloat64()
	}
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	wantSE := math.Sqrt(ss / float64(len(v)-1) / float64(len(v)))

	var merged, welford moments
	for lo := 0; lo < len(v); {
		hi := min(len(v), lo+1+rnd.IntN(50))
		var c moments
		c.setSlice(v[lo:hi])
		merged.merge(c)
		lo = hi
	}
	for _, x := range v {
		welford.add(x)
	}
	for name, m := range map[string]moments{"merged": merged, "welford": welford} {
		gm, gse := m.result()
		if math.Abs(gm-mean) > 1e-14*mean || math.Abs(gse-wantSE) > 1e-9*wantSE {
			t.Errorf("%s: mean, se = %v, %v; want %v, %v", name, gm, gse, mean, wantSE)
		}
	}
	merged.add(math.Inf(-1))
	if m, se := merged.result(); !math.IsInf(m, -1) || !math.IsInf(se, 1) {
		t.Errorf("with -Inf: got %v, %v; want -Inf, +Inf", m, se)
	}
	var single moments
	single.add(5)
	if m, se := single.result(); m != 5 || !math.IsInf(se, 1) {
		t.Errorf("single value: got %v, %v; want 5, +Inf", m, se)
	}
}

func TestTopK(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{0, 1, 7, 100, 1000} {
		v := make([]float64, 600)
		for i := range v {
			v[i] = math.Round(10 * rnd.NormFloat64()) // ties included
		}
		v[3] = math.Inf(-1)
		v[4] = math.NaN()
		top := newTopK(k)
		top.pushSlice(v[:300])
		for _, x := range v[300:] {
			top.push(x)
		}
		got := slices.Clone(top.h)
		slices.Sort(got)
		want := slices.DeleteFunc(slices.Clone(v), func(x float64) bool { return x != x })
		slices.Sort(want)
		want = want[max(0, len(want)-k):]
		if !slices.Equal(got, want) {
			t.Errorf("k=%d: kept %v…, want %v…", k, got[:min(5, len(got))], want[:min(5, len(want))])
		}
	}
}

func TestRunUnitsOrderAndBound(t *testing.T) {
	const n = 200
	for _, workers := range []int{1, 2, 3, 8, 500} {
		var mu sync.Mutex
		slotsMade := 0
		var order []int
		runUnits(n, workers,
			func() *int { mu.Lock(); slotsMade++; mu.Unlock(); return new(int) },
			func() func(int, *int) {
				return func(u int, s *int) { *s = u * u }
			},
			func(u int, s *int) {
				if *s != u*u {
					t.Fatalf("workers=%d: slot for unit %d holds %d", workers, u, *s)
				}
				order = append(order, u)
			})
		for i, u := range order {
			if i != u {
				t.Fatalf("workers=%d: merge order %v…", workers, order[:i+1])
			}
		}
		if len(order) != n {
			t.Errorf("workers=%d: merged %d units, want %d", workers, len(order), n)
		}
		if w := min(workers, n); slotsMade > 2*w {
			t.Errorf("workers=%d: %d slots, want at most %d", workers, slotsMade, 2*w)
		}
	}
}

func TestRunUnitsPanicPropagates(t *testing.T) {
	for _, workers := range []int{1, 3} {
		func() {
			defer func() {
				if r := recover(); r != "unit 17" {
					t.Errorf("workers=%d: recovered %v, want \"unit 17\"", workers, r)
				}
			}()
			runUnits(50, workers, func() *int { return new(int) },
				func() func(int, *int) {
					return func(u int, _ *int) {
						if u == 17 {
							panic("unit 17")
						}
					}
				},
				func(int, *int) {})
		}()
	}
}
