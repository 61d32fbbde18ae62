package vi

import "math"

// Warmup is a linear KL warm-up (Bowman et al., 2016; Sønderby et al.,
// 2016): the KL weight grows linearly from 0 to 1 over N steps (or epochs —
// the caller chooses the unit), β(t) = min(1, t/N) for t = 0, 1, …, and
// β(t) = 1 for all t when N ≤ 0.
type Warmup struct {
	N int
}

// Beta returns the KL weight at step t.
func (w Warmup) Beta(t int) float64 {
	if w.N <= 0 {
		return 1
	}
	return math.Min(1, math.Max(0, float64(t)/float64(w.N)))
}
