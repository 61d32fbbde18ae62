package notebook

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/vitool/vitool/figure"
)

// seedStream keys the PCG stream from which Seeds draws the extra seeds.
const seedStream = 0x5eed5

// Seeds returns n seeds for independent runs of an example: seed itself
// first, so that run 0 is the example's main run and prints what it always
// printed, then n−1 seeds drawn from a PCG stream keyed by seed. The same
// seed gives the same seeds, and the extra seeds are not the small integers
// that -seed is usually given. Seeds panics if n < 1.
func Seeds(seed uint64, n int) []uint64 {
	if n < 1 {
		panic(fmt.Sprintf("notebook: Seeds(%d, %d): want at least one seed", seed, n))
	}
	rnd := rand.New(rand.NewPCG(seed, seedStream))
	out := []uint64{seed}
	for len(out) < n {
		out = append(out, rnd.Uint64())
	}
	return out
}

// Parallel calls f(0), …, f(n−1), each in its own goroutine, and returns
// once all have returned, with the error of the lowest index that failed.
// Each f(i) must write only its own results (the i-th element of a slice
// made beforehand, say); the results then do not depend on the order in
// which the calls run, or on GOMAXPROCS.
func Parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// MeanSD returns the mean of v and its sample standard deviation (with
// n − 1 in the denominator): the spread of a result over independent runs.
// The standard deviation of a single value is NaN; both are NaN for an
// empty v.
func MeanSD(v []float64) (mean, sd float64) {
	return stat.MeanStdDev(v, nil)
}

// Band returns the line-plot series of a curve measured in several
// independent runs: runs[r][i] is run r's value at x[i], and the series is
// the mean over the runs at every x[i], with a shaded band of ± one sample
// standard deviation (see MeanSD). name labels it in the legend. Band panics
// if there are fewer than two runs, or a run's length differs from x's.
func Band(name string, x []float64, runs [][]float64) figure.Series {
	if len(runs) < 2 {
		panic(fmt.Sprintf("notebook: Band %q of %d runs: want at least two", name, len(runs)))
	}
	s := figure.Series{Name: name, X: x, Y: make([]float64, len(x)), YErr: make([]float64, len(x)), Band: true}
	col := make([]float64, len(runs))
	for i := range x {
		for r, run := range runs {
			if len(run) != len(x) {
				panic(fmt.Sprintf("notebook: Band %q: run %d has %d values, want %d", name, r, len(run), len(x)))
			}
			col[r] = run[i]
		}
		s.Y[i], s.YErr[i] = MeanSD(col)
	}
	return s
}

// BandOf is Band for runs recorded as rows of any type, such as the
// per-epoch rows of a training curve: x reads the abscissa of a row (taken
// from the first run) and y its value.
func BandOf[R any](name string, runs [][]R, x, y func(R) float64) figure.Series {
	var xs []float64
	if len(runs) > 0 {
		for _, r := range runs[0] {
			xs = append(xs, x(r))
		}
	}
	ys := make([][]float64, len(runs))
	for i, run := range runs {
		for _, r := range run {
			ys[i] = append(ys[i], y(r))
		}
	}
	return Band(name, xs, ys)
}
