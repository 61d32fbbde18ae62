package latent_test

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/latent"
)

// TestLogJoint checks LogJoint against the prior density from distuv plus the
// likelihood, on batches of changing size (so that pooled scratch memory
// grows and is reused) and with a reused dst.
func TestLogJoint(t *testing.T) {
	rnd := rand.New(rand.NewPCG(40, 0))
	const D, d = 6, 3
	m := latent.NewRandomLinearGaussian(D, d, 0.5, rnd)
	x := testPoints(m, D, rnd)[0]
	for _, n := range []int{3, 50, 3, 1} {
		z := mat.NewDense(n, d, nil)
		for r := 0; r < n; r++ {
			for k := 0; k < d; k++ {
				z.Set(r, k, rnd.NormFloat64())
			}
		}
		want := m.LogLikelihood(nil, x, z)
		for r := range want {
			for _, v := range z.RawRowView(r) {
				want[r] += distuv.UnitNormal.LogProb(v)
			}
		}
		dst := make([]float64, n)
		got := latent.LogJoint(dst, m, x, z)
		if &got[0] != &dst[0] {
			t.Errorf("n=%d: LogJoint did not return dst", n)
		}
		for r := range want {
			if !near(got[r], want[r], 1e-12) {
				t.Errorf("n=%d, row %d: LogJoint = %v, want %v", n, r, got[r], want[r])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("LogJoint with a short dst did not panic")
		}
	}()
	latent.LogJoint(make([]float64, 1), m, x, mat.NewDense(2, d, nil))
}
