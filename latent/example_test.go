package latent_test

import (
	"fmt"
	"log"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
)

func ExampleLinearGaussian_LogEvidence() {
	// One latent, two observed coordinates: x = (z, z) + noise with σ = 1,
	// so x ~ N(0, [[2, 1], [1, 2]]) and log p(0) = −log 2π − ½ log 3.
	m := latent.LinearGaussian{
		W:        mat.NewDense(2, 1, []float64{1, 1}),
		B:        []float64{0, 0},
		NoiseStd: 1,
	}
	fmt.Printf("log p(x) = %.6f\n", m.LogEvidence([]float64{0, 0}))
	fmt.Printf("check    = %.6f\n", -math.Log(2*math.Pi)-0.5*math.Log(3))
	// Output:
	// log p(x) = -2.387183
	// check    = -2.387183
}

func ExampleLinearGaussian_MeanField() {
	// Two latents that the data couple: the optimal diagonal Gaussian has
	// the posterior mean but a smaller variance than the posterior, and its
	// ELBO falls short of log p(x) by KL(q‖p(z|x)) = ½ log(6/5) here
	// (Λ = [[2, 1], [1, 3]]).
	m := latent.LinearGaussian{
		W:        mat.NewDense(2, 2, []float64{1, 1, 0, 1}),
		B:        []float64{0, 0},
		NoiseStd: 1,
	}
	x := []float64{1, 2}
	q := m.MeanField(x)
	post := m.PosteriorNormal(x)
	var cov mat.SymDense
	cov.SymOuterK(1, post.Chol)
	fmt.Printf("mean:      q %.4f, posterior %.4f\n", mat.Row(nil, 0, q.Loc), post.Mean())
	fmt.Printf("variance:  q %.4f, posterior %.4f\n", math.Exp(2*q.LogScale.At(0, 0)), cov.At(0, 0))
	fmt.Printf("ELBO %.4f ≤ log p(x) %.4f\n", m.ELBO(x, q), m.LogEvidence(x))
	// Output:
	// mean:      q [0.0000 1.0000], posterior [0.0000 1.0000]
	// variance:  q 0.5000, posterior 0.6000
	// ELBO -3.7338 ≤ log p(x) -3.6426
}

func ExampleParseSpec() {
	spec := []byte(`{
  "family": "gaussian-mixture",
  "weights": [0.5, 0.5],
  "means": [[-1], [1]],
  "stds": [[1], [1]]
}`)
	m, err := latent.ParseSpec(spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T: data %d, latent %d\n", m, m.DataDim(), m.LatentDim())
	fmt.Printf("log p(0) = %.6f\n", m.(latent.Evidencer).LogEvidence([]float64{0}))

	_, err = latent.ParseSpec([]byte(`{"family": "linear-gaussian", "W": [[1, 2], [3]], "b": [0, 0], "noise_std": 1}`))
	fmt.Println(err)
	// Output:
	// latent.GaussianMixture: data 1, latent 1
	// log p(0) = -1.418939
	// linear-gaussian: W[1] has 1 columns, want 2 (as W[0])
}
