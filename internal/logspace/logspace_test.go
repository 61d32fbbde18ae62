package logspace

import (
	"math"
	"testing"
)

func TestSoftplus(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, math.Ln2},
		{1, math.Log(1 + math.E)},
		{-1, math.Log(1 + 1/math.E)},
		{50, 50},
		{800, 800},
		{-800, 0},
		{-40, math.Exp(-40)},
		{35, 35 + math.Exp(-35)},
	} {
		got := Softplus(tc.x)
		if math.Abs(got-tc.want) > 1e-15*math.Max(1, math.Abs(tc.want)) {
			t.Errorf("Softplus(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	// Relative accuracy over a fine grid against log1p(e^x), which is exact to
	// an ulp or two where e^x neither overflows nor underflows, and the limits.
	for x := -700.0; x <= 700; x += 0.0731 {
		want := math.Log1p(math.Exp(x))
		if x > 30 {
			want = x + math.Log1p(math.Exp(-x))
		}
		if got := Softplus(x); math.Abs(got-want) > 4e-16*want {
			t.Fatalf("Softplus(%v) = %v, want %v", x, got, want)
		}
	}
	if got := Softplus(math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("Softplus(+Inf) = %v", got)
	}
	if got := Softplus(math.Inf(-1)); got != 0 {
		t.Errorf("Softplus(-Inf) = %v", got)
	}
	if got := Softplus(math.NaN()); !math.IsNaN(got) {
		t.Errorf("Softplus(NaN) = %v", got)
	}
}

func TestSigmoid(t *testing.T) {
	for _, x := range []float64{-30, -1, 0, 0.5, 30} {
		if got, want := Sigmoid(x), 1/(1+math.Exp(-x)); math.Abs(got-want) > 1e-16 {
			t.Errorf("Sigmoid(%v) = %v, want %v", x, got, want)
		}
	}
	if got := Sigmoid(-800); !(got >= 0 && got < 1e-300) {
		t.Errorf("Sigmoid(-800) = %v, want a tiny non-negative number", got)
	}
	if got := Sigmoid(800); got != 1 {
		t.Errorf("Sigmoid(800) = %v, want 1", got)
	}
}

func TestLogSigmoid(t *testing.T) {
	for _, x := range []float64{-30, -2, 0, 3, 30} {
		want := math.Log(1 / (1 + math.Exp(-x)))
		if got := LogSigmoid(x); math.Abs(got-want) > 1e-14 {
			t.Errorf("LogSigmoid(%v) = %v, want %v", x, got, want)
		}
	}
	if got := LogSigmoid(-1000); got != -1000 {
		t.Errorf("LogSigmoid(-1000) = %v, want -1000", got)
	}
}

func TestLog1mExp(t *testing.T) {
	// References: log(-expm1(x)) is accurate near 0; -e^x (+ O(e^2x)) far out,
	// where the naive log(1 - e^x) rounds to 0.
	for _, tc := range []struct{ x, want float64 }{
		{-1e-10, math.Log(-math.Expm1(-1e-10))},
		{-0.1, math.Log(-math.Expm1(-0.1))},
		{-1, math.Log(-math.Expm1(-1))},
		{-40, -math.Exp(-40) - math.Exp(-80)/2},
		{-100, -math.Exp(-100)},
	} {
		x, want := tc.x, tc.want
		if got := Log1mExp(x); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("Log1mExp(%v) = %v, want %v", x, got, want)
		}
	}
	if !math.IsNaN(Log1mExp(0.5)) {
		t.Error("Log1mExp(0.5) is not NaN")
	}
	if !math.IsInf(Log1mExp(0), -1) {
		t.Error("Log1mExp(0) is not -Inf")
	}
}

func TestLogSumExp(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, math.Inf(-1)},
		{"single", []float64{3}, 3},
		{"equal", []float64{-1000, -1000}, -1000 + math.Ln2},
		{"large", []float64{1000, 1000, 1000}, 1000 + math.Log(3)},
		{"mixed", []float64{0, math.Log(2), math.Log(3)}, math.Log(6)},
		{"neg inf", []float64{math.Inf(-1), 0}, 0},
		{"all neg inf", []float64{math.Inf(-1), math.Inf(-1)}, math.Inf(-1)},
		{"pos inf", []float64{inf, 0}, inf},
	} {
		got := LogSumExp(tc.xs)
		if got != tc.want && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: LogSumExp = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !math.IsNaN(LogSumExp([]float64{0, math.NaN()})) {
		t.Error("LogSumExp with NaN is not NaN")
	}
	if got, want := LogMeanExp([]float64{0, math.Log(3)}), math.Log(2); math.Abs(got-want) > 1e-15 {
		t.Errorf("LogMeanExp = %v, want %v", got, want)
	}
}
