//go:build !openblas

package ad

import (
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

func init() {
	// Gonum's pure-Go BLAS: no cgo, deterministic, parallel for large
	// matrices. This is gorgonia's default too; setting it here makes the
	// choice explicit and keeps gorgonia and package tensor in agreement.
	// The pure-Go evaluation in package amortized uses gonum's blas32
	// default, the same implementation.
	G.Use(gonum.Implementation{})
}
