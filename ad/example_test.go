package ad_test

import (
	"fmt"

	"github.com/vitool/vitool/ad"
)

// The gradient of y = Σ_ij (x_ij − w_j)² with respect to the 1×2 row w,
// broadcast against the three rows of x: ∂y/∂w_j = 2 Σ_i (w_j − x_ij).
func ExampleTape() {
	tp := ad.NewTape()
	w := tp.Var(1, 2, []float64{0.5, -1})
	x := ad.Const(3, 2, []float64{1, 0, 2, 1, 3, -1})
	y := ad.Sum(ad.Square(ad.Sub(x, w)))
	tp.Backward(y)
	fmt.Println(y.Scalar(), w.Grad())
	// Output: 13.75 [-9 -6]
}

// Shapes that do not broadcast are a programmer error: the operation
// panics with a *ShapeError, which package ppl turns into an error naming
// the site.
func ExampleShapeError() {
	defer func() { fmt.Println(recover()) }()
	ad.Add(ad.Const(4, 2, nil), ad.Const(1, 3, nil))
	// Output: ad: Add: incompatible shapes 4×2 and 1×3 (sizes must match or be 1 along each axis)
}
