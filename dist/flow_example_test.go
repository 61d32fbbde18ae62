package dist_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// A flow guide's distribution: two planar flows over a diagonal Normal. In
// a ppl guide the parameters would come from t.Param; here they are fixed.
func ExampleFlowDistribution() {
	flows := dist.ComposeTransform{
		dist.PlanarFlow{U: ad.Row([]float64{1, 0.5}), W: ad.Row([]float64{2, -1}), B: ad.Scalar(0.3)},
		dist.PlanarFlow{U: ad.Row([]float64{-0.5, 1}), W: ad.Row([]float64{0.5, 1}), B: ad.Scalar(0)},
	}
	base := dist.Normal{Loc: ad.Row([]float64{0, 1}), LogScale: ad.Row([]float64{0, -0.5})}
	q := dist.NewFlowDistribution(base, flows)

	z := q.RSampleVar(3, rand.New(rand.NewPCG(1, 2))) // 3×2 draws
	lq := q.LogProbVar(z)                             // from the remembered base draws
	again := q.LogProb(nil, z.Dense())                // through the numerical inverse
	for i := range 3 {
		fmt.Printf("log q = %.6f (inverse: %.6f)\n", lq.Data[i], again[i])
	}
	// Output:
	// log q = -1.981792 (inverse: -1.981792)
	// log q = -2.541406 (inverse: -2.541406)
	// log q = -6.737871 (inverse: -6.737871)
}
