package pxstudy

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/vitool/vitool/mc"
)

// Throughput is the speed and memory of one large estimate.
type Throughput struct {
	LatentDim        int     `json:"latent_dim"`
	DataDim          int     `json:"data_dim"`
	Method           string  `json:"method"`
	K                int     `json:"k"`
	Seconds          float64 `json:"seconds"`
	SamplesPerSecond float64 `json:"samples_per_second"`
	// PeakHeapBytes is the largest live heap seen during the run above the
	// heap before it, sampled every millisecond: the estimator's working set.
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// AllocBytes is the total allocated during the run.
	AllocBytes uint64 `json:"alloc_bytes"`
}

// MeasureThroughput runs one estimate with k samples on the model of latent
// dimension d of the study c, and measures its speed and memory.
func MeasureThroughput(c Config, d int, method string, k int) (Throughput, error) {
	c.defaults()
	c.Points = 1
	p := newProblem(d, &c)
	cfg := mc.Config{Seed: mc.DeriveSeed(c.Seed, 0x7470, uint64(k)), Workers: c.Workers, Progress: c.Progress, Context: c.Context}

	runtime.GC()
	base := heapBytes()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak, stop := watchHeap()

	var est mc.Estimate
	var err error
	switch method {
	case "prior":
		est, err = mc.Prior(p.model, p.xs[0], k, cfg)
	case "is":
		est, err = mc.Importance(p.model, p.qs[0], p.xs[0], k, cfg)
	default:
		panic("pxstudy: unknown method " + method)
	}
	stop()
	if err != nil {
		return Throughput{}, fmt.Errorf("%s, d=%d, K=%d: %w", method, d, k, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t := Throughput{
		LatentDim: d, DataDim: c.DataDim, Method: method, K: k,
		Seconds:          est.Elapsed.Seconds(),
		SamplesPerSecond: est.SamplesPerSecond(),
		AllocBytes:       after.TotalAlloc - before.TotalAlloc,
	}
	if pk := *peak; pk > base {
		t.PeakHeapBytes = pk - base
	}
	return t, nil
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watchHeap samples the live heap every millisecond until stop is called,
// and returns a pointer to the peak, valid after stop returns.
func watchHeap() (peak *uint64, stop func()) {
	peak = new(uint64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapBytes(); h > *peak {
				*peak = h
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return peak, func() { close(done); wg.Wait() }
}
