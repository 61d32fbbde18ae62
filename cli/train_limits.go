package cli

import (
	"fmt"
	"path/filepath"

	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/internal/atomicfile"
)

// trainPlan returns the memory that training a model of the settings s on
// n points of dimension dataDim needs: the parameters with their gradients,
// Adam moments and the autodiff graph's copies, and the activations of one
// minibatch of K samples per point.
func trainPlan(s *trainSettings, n, dataDim int) *memPlan {
	encOut, latent := s.latent, s.latent
	if s.kind == "vae" {
		encOut = 2 * s.latent
	}
	// Parameters: weights and biases of the encoder and the mirrored
	// decoder, without overflow (product saturates).
	sizes := append(append([]int{dataDim}, s.hidden...), encOut)
	dec := []int{latent}
	for i := len(s.hidden) - 1; i >= 0; i-- {
		dec = append(dec, s.hidden[i])
	}
	dec = append(dec, dataDim)
	var params, width uint64
	for _, l := range [][]int{sizes, dec} {
		for i := 0; i+1 < len(l); i++ {
			params = satAdd(params, product(l[i]+1, l[i+1]))
			width = satAdd(width, uint64(l[i+1]))
		}
	}
	k := 1
	if s.kind == "vae" {
		k = max(1, s.train.Objective.K)
	}
	batch := min(s.train.BatchSize, max(n, 1))
	hidden := "--hidden " + fmtInts(s.hidden)
	latentFlag := "--latent"
	if s.kind == "ae" {
		latentFlag = "--code"
	}
	p := &memPlan{}
	// Weights, gradients, two Adam moments, the graph's copies and the
	// checkpoint buffers: about 8 float32 copies of the parameters.
	p.parts = append(p.parts, memPart{
		what:  fmt.Sprintf("%s with %s %d and data dimension %d (%s parameters)", hidden, latentFlag, s.latent, dataDim, fmtCount(params)),
		bytes: mulSat(params, 8*4),
	})
	// Activations of forward and backward passes, a few float32 copies
	// per unit of every layer and sample.
	p.parts = append(p.parts, memPart{
		what:  fmt.Sprintf("--batch %d with --k %d (activations of one step)", batch, k),
		bytes: mulSat(mulSat(width, product(batch, k)), 6*4),
	})
	p.add("--data", n, dataDim, 4, 2)
	return p
}

// mulSat returns a·b, saturating.
func mulSat(a, b uint64) uint64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > ^uint64(0)/b {
		return ^uint64(0)
	}
	return a * b
}

// fmtCount formats a count compactly.
func fmtCount(n uint64) string {
	if n == ^uint64(0) {
		return "more than 1.8e19"
	}
	if n < 1e6 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%.3g", float64(n))
}

// fmtInts formats sizes as "200,200".
func fmtInts(v []int) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(x)
	}
	return s
}

// cleanStaleOutputs removes the temporary files that a killed run left in
// the output folder dir, for the checkpoint and every other output.
func cleanStaleOutputs(dir string) error {
	for _, name := range []string{checkpoint.ModelFile, checkpoint.StateFile, checkpoint.PendingStateFile,
		curveCSVFile, curvePNGFile, reconFile, samplesFile} {
		if _, err := atomicfile.CleanStale(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}
