package latent_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
)

// TestLinearGaussianLogJointGrad checks the value against LogJoint and the
// gradient against central finite differences, on every shape of lgShapes
// and several rows at once.
func TestLinearGaussianLogJointGrad(t *testing.T) {
	for _, s := range lgShapes {
		t.Run(fmt.Sprintf("D%d_d%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(3, uint64(s.D*100+s.d)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			x := make([]float64, s.D)
			for j := range x {
				x[j] = rnd.NormFloat64()
			}
			const n = 4
			z := mat.NewDense(n, s.d, nil)
			for i := range n {
				for k := range s.d {
					z.Set(i, k, rnd.NormFloat64())
				}
			}
			grad := mat.NewDense(n, s.d, nil)
			got := m.LogJointGrad(nil, grad, x, z)
			want := latent.LogJoint(nil, m, x, z)
			for i := range n {
				if !near(got[i], want[i], 1e-12) {
					t.Errorf("row %d: log p(x,z) = %v, LogJoint gives %v", i, got[i], want[i])
				}
				zi := mat.Row(nil, i, z)
				fdg := fd.Gradient(nil, func(v []float64) float64 {
					return latent.LogJoint(nil, m, x, mat.NewDense(1, s.d, v))[0]
				}, zi, &fd.Settings{Formula: fd.Central, Step: 1e-5})
				for k := range s.d {
					if g := grad.At(i, k); !near(g, fdg[k], 1e-6) {
						t.Errorf("row %d: ∂/∂z_%d = %v, finite differences give %v", i, k, g, fdg[k])
					}
				}
			}
		})
	}
}
