package notebook_test

import (
	"fmt"
	"math"
	"os"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// An example prints its results as tables in vitool's layout, estimates
// with their standard errors.
func ExampleNewTable() {
	t := notebook.NewTable(os.Stdout, "K", "log p̂(x)", "k̂")
	t.Append("1", notebook.PlusMinus(-95.3172, math.Inf(1), 2, 2), notebook.Num("%.2f", math.NaN()))
	t.Append("1000", notebook.PlusMinus(-93.0411, 0.0217, 2, 2), notebook.Num("%.2f", 0.431))
	if err := t.Render(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ┌──────┬───────────────┬──────┐
	// │  K   │   log p̂(x)    │  k̂   │
	// ├──────┼───────────────┼──────┤
	// │    1 │        -95.32 │    – │
	// │ 1000 │ -93.04 ± 0.02 │ 0.43 │
	// └──────┴───────────────┴──────┘
}

func ExamplePlusMinus() {
	fmt.Println(notebook.PlusMinus(-93.04113, 0.02174, 4, 4))
	fmt.Println(notebook.PlusMinus(-93.04113, 0.02174, 4, 2))
	fmt.Println(notebook.PlusMinus(-93.04113, math.Inf(1), 4, 4)) // one draw: no standard error
	// Output:
	// -93.0411 ± 0.0217
	// -93.0411 ± 0.02
	// -93.0411
}
