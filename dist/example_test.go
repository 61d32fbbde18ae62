package dist_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

func ExampleNormal_LogProb() {
	// One 2-dimensional Normal, broadcast over three rows.
	n := dist.Normal{
		Loc:      mat.NewDense(1, 2, []float64{0, 1}),
		LogScale: mat.NewDense(1, 2, []float64{0, 0}),
	}
	x := mat.NewDense(3, 2, []float64{
		0, 1,
		1, 1,
		0, 3,
	})
	for i, lp := range n.LogProb(nil, x) {
		fmt.Printf("log p(x_%d) = %.4f\n", i, lp)
	}
	// Output:
	// log p(x_0) = -1.8379
	// log p(x_1) = -2.3379
	// log p(x_2) = -3.8379
}

func ExampleNormal_RSample() {
	// A batch of two members; RSample keeps the noise ε so that z = μ + σ·ε
	// can be differentiated with respect to μ and log σ.
	q := dist.Normal{
		Loc:      mat.NewDense(2, 1, []float64{0, 10}),
		LogScale: mat.NewDense(2, 1, []float64{-100, 0}),
	}
	var z, eps mat.Dense // empty: resized to Len()×Dim()
	q.RSample(&z, &eps, rand.New(rand.NewPCG(1, 2)))
	fmt.Printf("member 0: z = %.4f (σ ≈ 0, so z = μ)\n", z.At(0, 0))
	fmt.Printf("member 1: z − ε = %.4f\n", z.At(1, 0)-eps.At(1, 0))
	// Output:
	// member 0: z = 0.0000 (σ ≈ 0, so z = μ)
	// member 1: z − ε = 10.0000
}

func ExampleKL() {
	q := dist.Normal{
		Loc:      mat.NewDense(2, 2, []float64{0, 0, 1, -1}),
		LogScale: mat.NewDense(2, 2, []float64{0, 0, 0, 0}),
	}
	prior := dist.StdNormal{D: 2}
	kl, err := dist.KL(nil, q, prior)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("KL(q_i ‖ N(0, I)) = %.4f\n", kl)

	// Pairs without a closed form report ErrNoKL; KLDivergence then falls
	// back to a Monte Carlo estimate.
	b := dist.Bernoulli{Logits: mat.NewDense(1, 2, []float64{0, 0})}
	_, err = dist.KL(nil, q, b)
	fmt.Println(errors.Is(err, dist.ErrNoKL))
	// Output:
	// KL(q_i ‖ N(0, I)) = [0.0000 1.0000]
	// true
}
