package mc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// runUnits evaluates units 0, …, n−1 on up to workers goroutines and calls
// merge for each unit in increasing order, from the calling goroutine.
//
// newWorker is called once per goroutine and returns the function that
// evaluates a unit into a result slot; it owns whatever buffers it allocates.
// The slots, from newSlot, are reused: at most 2·workers units are evaluated
// or waiting to be merged at any time, and unit u uses slot u mod 2·workers,
// so memory is bounded by the number of workers, not by n. Because merging is
// in unit order, the merged result does not depend on the number of workers
// or on scheduling.
//
// A panic in a worker is re-raised in the calling goroutine once the other
// workers have stopped.
func runUnits[S any](n, workers int, newSlot func() S, newWorker func() func(u int, s S), merge func(u int, s S)) {
	runUnitsUntil(nil, n, workers, newSlot, newWorker, merge)
}

// runUnitsUntil is runUnits that starts no further unit once stop, if not
// nil, reports true: the units already started are evaluated and merged,
// and it returns the number of units merged.
func runUnitsUntil[S any](stop func() bool, n, workers int, newSlot func() S, newWorker func() func(u int, s S), merge func(u int, s S)) int {
	if n <= 0 {
		return 0
	}
	stopped := func() bool { return stop != nil && stop() }
	workers = max(1, min(workers, n))
	if workers == 1 {
		s, do := newSlot(), newWorker()
		for u := range n {
			if stopped() {
				return u
			}
			do(u, s)
			merge(u, s)
		}
		return n
	}
	window := min(2*workers, n)
	slots := make([]S, window)
	for i := range slots {
		slots[i] = newSlot()
	}
	var (
		jobs   = make(chan int)
		done   = make(chan int, window)
		tokens = make(chan struct{}, window)
		failed atomic.Bool
		once   sync.Once
		pval   any
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var do func(int, S)
			run := func(u int) {
				defer func() {
					if r := recover(); r != nil {
						once.Do(func() { pval = r })
						failed.Store(true)
					}
				}()
				if do == nil {
					do = newWorker()
				}
				do(u, slots[u%window])
			}
			for u := range jobs {
				if !failed.Load() {
					run(u)
				}
				done <- u
			}
		}()
	}
	// fed is the number of units handed to the workers, known once
	// feeding ends (early, when stop reports true).
	var fed atomic.Int64
	feedEnd := make(chan struct{})
	go func() {
		u := 0
		for ; u < n && !stopped(); u++ {
			tokens <- struct{}{}
			jobs <- u
		}
		fed.Store(int64(u))
		close(feedEnd)
		close(jobs)
	}()
	ready := make([]bool, window)
	limit := n
	next := 0
	for next < limit {
		var u int
		select {
		case u = <-done:
		case <-feedEnd:
			limit, feedEnd = int(fed.Load()), nil
			continue
		}
		ready[u%window] = true
		for next < limit && ready[next%window] {
			ready[next%window] = false
			if !failed.Load() {
				merge(next, slots[next%window])
			}
			<-tokens
			next++
		}
	}
	wg.Wait()
	if failed.Load() {
		panic(pval)
	}
	return next
}

// BadWeightsError reports log-weights (or, for ELBOAnalyticKL,
// log-likelihoods) that were NaN or +Inf.
type BadWeightsError struct {
	Method  string // the estimator
	Bad     int    // number of draws with a NaN or +Inf log-weight
	Samples int    // number of draws
}

// Error implements the error interface.
func (e *BadWeightsError) Error() string {
	return fmt.Sprintf("mc: %s: %d of %d log-weights are NaN or +Inf", e.Method, e.Bad, e.Samples)
}

// kernel computes log-weights for draws z ~ q.
type kernel struct {
	m latent.Model
	x []float64
	q dist.Distribution // the sampling distribution
	// prior is nil for likelihood weights log p(x|z), and p(z) for
	// importance weights log p(x|z) + log p(z) − log q(z).
	prior dist.Distribution
}

// joint returns k.q as a dist.SampleLogProber when the weights need
// log q(z) and k.q can give it with its draws (a flow, scored without
// inverting itself).
func (k *kernel) joint() (dist.SampleLogProber, bool) {
	if k.prior == nil {
		return nil, false
	}
	s, ok := k.q.(dist.SampleLogProber)
	return s, ok
}

// draw fills z with draws from k.q, the rows of k.q.Sample, and stores
// log q(z) of each row in lq (of z's length) if k.joint().
func (k *kernel) draw(z *mat.Dense, lq []float64, rnd *rand.Rand) {
	if s, ok := k.joint(); ok {
		s.SampleLogProb(z, lq, rnd)
		return
	}
	k.q.Sample(z, rnd)
}

// logWeights stores the log-weights of the rows of z in lw and returns the
// number of NaN or +Inf values, using tmp (of the same length) as scratch.
// For importance weights lq holds log q(z): as draw left it if k.joint(),
// and otherwise computed here by k.q.LogProb on the whole batch.
func (k *kernel) logWeights(lw, tmp, lq []float64, z *mat.Dense) int {
	k.m.LogLikelihood(lw, k.x, z)
	if k.prior != nil {
		k.prior.LogProb(tmp, z)
		for i, v := range tmp {
			lw[i] += v
		}
		if _, ok := k.joint(); !ok {
			k.q.LogProb(lq, z)
		}
		for i, v := range lq {
			lw[i] -= v
		}
	}
	bad := 0
	for _, v := range lw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			bad++
		}
	}
	return bad
}

// stats selects the summaries that sampleRun computes.
type stats uint8

const (
	wantLSE     stats = 1 << iota // log-sum-exp accumulator (log p̂, ESS)
	wantMoments                   // mean and variance of the log-weights
	wantTop                       // the largest log-weights, for k̂
)

// sampleResult is the merged summary of K log-weights.
type sampleResult struct {
	acc lse
	mom moments
	top *topK
	bad int
}

// khat returns k̂ from the retained largest log-weights.
func (r *sampleResult) khat() float64 {
	if r.top == nil || r.bad > 0 {
		return math.NaN()
	}
	top := append([]float64(nil), r.top.h...)
	slices.Sort(top)
	return khatFromTop(top)
}

// chunkSlot holds one chunk's log-weights and their summaries.
type chunkSlot struct {
	lw  []float64
	acc lse
	mom moments
	bad int
}

// sampleRun draws K samples from kern.q in chunks and merges their summaries.
func sampleRun(kern *kernel, K int, c Config, want stats) sampleResult {
	cs, seed := c.chunkSize(), c.Seed
	d := kern.q.Dim()
	rows := min(cs, K)
	nChunks := (K + cs - 1) / cs
	res := sampleResult{acc: newLSE()}
	if want&wantTop != 0 {
		res.top = newTopK(min(tailLen(K)+1, K))
	}
	newSlot := func() *chunkSlot { return &chunkSlot{lw: make([]float64, rows)} }
	newWorker := func() func(int, *chunkSlot) {
		z := mat.NewDense(rows, d, nil)
		var last *mat.Dense
		tmp := make([]float64, rows)
		lq := make([]float64, rows)
		pcg := rand.NewPCG(0, 0)
		rnd := rand.New(pcg)
		return func(u int, s *chunkSlot) {
			n := min(cs, K-u*cs)
			zz := rowsOf(z, n, &last)
			pcg.Seed(seed, uint64(u))
			kern.draw(zz, lq[:n], rnd)
			lw := s.lw[:n]
			s.bad = kern.logWeights(lw, tmp[:n], lq[:n], zz)
			if s.bad > 0 {
				return
			}
			if want&wantLSE != 0 {
				s.acc.setSlice(lw)
			}
			if want&wantMoments != 0 {
				s.mom.setSlice(lw)
			}
		}
	}
	merge := func(u int, s *chunkSlot) {
		n := min(cs, K-u*cs)
		res.bad += s.bad
		if res.bad == 0 {
			res.acc.merge(s.acc)
			res.mom.merge(s.mom)
			if res.top != nil {
				res.top.pushSlice(s.lw[:n])
			}
		}
		if c.Progress != nil {
			c.Progress(n)
		}
	}
	runUnitsUntil(c.stop(), nChunks, c.workers(), newSlot, newWorker, merge)
	return res
}

// iwaeSlot holds the summary of one IWAE work unit: either several whole
// replicates (mom) or one chunk of a replicate (acc).
type iwaeSlot struct {
	mom moments
	acc lse
	bad int
}

// iwaeRun computes reps independent values of log (1/K) Σ w_k and returns
// their moments and the number of bad log-weights. Draw i of replicate r
// comes from the stream rand.NewPCG(DeriveSeed(seed, r), i/ChunkSize).
func iwaeRun(kern *kernel, K, reps int, c Config) (moments, int) {
	cs, seed := c.chunkSize(), c.Seed
	d := kern.q.Dim()
	var (
		mom moments
		bad int
	)
	progress := func(n int) {
		if c.Progress != nil {
			c.Progress(n)
		}
	}
	if K <= cs {
		// Each unit holds b whole replicates, drawn from their own streams
		// into consecutive blocks of rows and weighed in one batch.
		b := max(1, min(cs/K, reps))
		nUnits := (reps + b - 1) / b
		newSlot := func() *iwaeSlot { return &iwaeSlot{} }
		newWorker := func() func(int, *iwaeSlot) {
			z := mat.NewDense(b*K, d, nil)
			views := make([]*mat.Dense, b)
			for i := range views {
				views[i] = z.Slice(i*K, (i+1)*K, 0, d).(*mat.Dense)
			}
			var last *mat.Dense
			lw := make([]float64, b*K)
			tmp := make([]float64, b*K)
			lq := make([]float64, b*K)
			pcg := rand.NewPCG(0, 0)
			rnd := rand.New(pcg)
			return func(u int, s *iwaeSlot) {
				r0 := u * b
				nr := min(b, reps-r0)
				for i := range nr {
					pcg.Seed(DeriveSeed(seed, uint64(r0+i)), 0)
					kern.draw(views[i], lq[i*K:(i+1)*K], rnd)
				}
				zz := rowsOf(z, nr*K, &last)
				s.mom = moments{}
				s.bad = kern.logWeights(lw[:nr*K], tmp[:nr*K], lq[:nr*K], zz)
				if s.bad > 0 {
					return
				}
				var a lse
				for i := range nr {
					a.setSlice(lw[i*K : (i+1)*K])
					s.mom.add(a.logMean())
				}
			}
		}
		merge := func(u int, s *iwaeSlot) {
			bad += s.bad
			if bad == 0 {
				mom.merge(s.mom)
			}
			progress(min(b, reps-u*b) * K)
		}
		runUnitsUntil(c.stop(), nUnits, c.workers(), newSlot, newWorker, merge)
		return mom, bad
	}
	// Each replicate spans nc chunks; a unit is one chunk of one replicate,
	// and the chunks of a replicate are merged in order.
	nc := (K + cs - 1) / cs
	rep := newLSE()
	newSlot := func() *iwaeSlot { return &iwaeSlot{} }
	newWorker := func() func(int, *iwaeSlot) {
		z := mat.NewDense(cs, d, nil)
		var last *mat.Dense
		lw := make([]float64, cs)
		tmp := make([]float64, cs)
		lq := make([]float64, cs)
		pcg := rand.NewPCG(0, 0)
		rnd := rand.New(pcg)
		return func(u int, s *iwaeSlot) {
			r, j := u/nc, u%nc
			n := min(cs, K-j*cs)
			zz := rowsOf(z, n, &last)
			pcg.Seed(DeriveSeed(seed, uint64(r)), uint64(j))
			kern.draw(zz, lq[:n], rnd)
			s.bad = kern.logWeights(lw[:n], tmp[:n], lq[:n], zz)
			if s.bad == 0 {
				s.acc.setSlice(lw[:n])
			}
		}
	}
	merge := func(u int, s *iwaeSlot) {
		j := u % nc
		bad += s.bad
		if bad == 0 {
			rep.merge(s.acc)
			if j == nc-1 {
				mom.add(rep.logMean())
				rep = newLSE()
			}
		}
		progress(min(cs, K-j*cs))
	}
	runUnitsUntil(c.stop(), reps*nc, c.workers(), newSlot, newWorker, merge)
	return mom, bad
}

// rowsOf returns z itself if it has n rows, else a view of its first n rows,
// cached in *last so that a worker allocates at most one view per size.
func rowsOf(z *mat.Dense, n int, last **mat.Dense) *mat.Dense {
	if r, _ := z.Dims(); r == n {
		return z
	}
	if *last == nil || (*last).RawMatrix().Rows != n {
		_, c := z.Dims()
		*last = z.Slice(0, n, 0, c).(*mat.Dense)
	}
	return *last
}
