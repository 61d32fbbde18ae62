//go:build openblas

package nn

// Building with -tags openblas links OpenBLAS through cgo (Debian/Ubuntu:
// apt install libopenblas-dev) and routes gorgonia's matrix products and
// gonum's blas32 and blas64 (used by package ad) through it. It needs
// gonum.org/v1/netlib in go.mod.

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

func init() {
	G.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
}
