//go:build !openblas

package nn

import (
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

func init() {
	// Gonum's pure-Go BLAS: no cgo, and deterministic for any GOMAXPROCS
	// (its parallel matrix product gives each block of the result to one
	// goroutine, which sums in a fixed order). This is gorgonia's default
	// too; setting it here makes the choice explicit.
	G.Use(gonum.Implementation{})
}
