package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/nn"
)

// A decoder applied to a batch of reparameterised draws: the network is
// one operation on the tape, and Backward gives the adjoints of the draws
// and of every parameter.
func ExampleMLP_Forward() {
	dec := nn.MLP{Sizes: []int{2, 16, 3}, Act: nn.Tanh}
	rnd := rand.New(rand.NewPCG(1, 2))
	tp := ad.NewTape()

	// Parameters in PyTorch's nn.Sequential layout, initialised from rnd.
	var params []*ad.Var
	for _, s := range dec.Params() {
		data := make([]float64, s.Rows*s.Cols)
		s.Init(data, rnd)
		params = append(params, tp.Var(s.Rows, s.Cols, data))
		fmt.Printf("%s is %d×%d\n", s.Name, s.Rows, s.Cols)
	}

	// z = μ + σ·ε for four particles: z is on the tape through μ.
	mu := tp.Var(1, 2, []float64{0.5, -0.5})
	eps := ad.Const(4, 2, []float64{0.1, -1.2, 0.7, 0.3, -0.4, 0.9, 1.5, -0.2})
	z := ad.Add(mu, ad.Scale(eps, 0.8))

	logits := dec.Forward(z, params) // 4×3
	loss := ad.Sum(ad.Square(logits))
	tp.Backward(loss)

	fmt.Printf("logits are %d×%d, loss %.3f\n", logits.R, logits.C, loss.Scalar())
	fmt.Printf("adjoints: μ %d values, 0.weight %d, 2.bias %d\n",
		len(mu.Grad()), len(params[0].Grad()), len(params[3].Grad()))
	// Output:
	// 0.weight is 16×2
	// 0.bias is 1×16
	// 2.weight is 3×16
	// 2.bias is 1×3
	// logits are 4×3, loss 3.852
	// adjoints: μ 2 values, 0.weight 32, 2.bias 3
}
