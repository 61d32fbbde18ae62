package dist

import (
	"math"
	"testing"

	"github.com/vitool/vitool/internal/logspace"
)

// TestSoftplus checks the fast softplus against logspace.Softplus over a
// grid spanning both tails; Kahan's log1p is accurate to a few ulps, and the
// branches of logspace.Softplus agree with the exact value to about ε.
func TestSoftplus(t *testing.T) {
	for l := -800.0; l <= 800; l += 0.173 {
		for _, v := range []float64{l, l * 1e-10, -l * 1e-10} {
			got, want := softplus(v), logspace.Softplus(v)
			if math.Abs(got-want) > fpTol(4, want) {
				t.Fatalf("softplus(%v) = %v, want %v", v, got, want)
			}
		}
	}
	for _, v := range []float64{0, 1e-300, -1e-300, math.Inf(1)} {
		if got, want := softplus(v), logspace.Softplus(v); got != want && math.Abs(got-want) > fpTol(4, want) {
			t.Errorf("softplus(%v) = %v, want %v", v, got, want)
		}
	}
	if got := softplus(math.Inf(-1)); got != 0 {
		t.Errorf("softplus(-Inf) = %v", got)
	}
}
