package ppl

import (
	"math/rand/v2"
	"testing"

	"github.com/vitool/vitool/mc"
)

// BenchmarkGradient measures one gradient of the ELBO (K = 8) of the
// linear-Gaussian test model (D = 5, d = 3) with a mean-field guide: 6
// scalar parameters, so one run of guide and model and one backward pass.
func BenchmarkGradient(b *testing.B) {
	lg, x := testLG(5, 3, 0.5, 1)
	model, guide := lgModel(lg), paramGuide(offsetMeanField(lg, x, 0.1))
	store := NewParamStore(0)
	rnd := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Gradient(model, guide, store, row(x), Objective{K: 8}, rnd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportanceAdapter measures importance sampling through the
// AsModel/AsProposal adapters (K = 10⁴ draws) on the same model; compare
// with mc's BenchmarkImportance on the built-in model.
func BenchmarkImportanceAdapter(b *testing.B) {
	lg, x := testLG(5, 3, 0.5, 1)
	model, guide := lgModel(lg), paramGuide(offsetMeanField(lg, x, 0.1))
	store := NewParamStore(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Importance(model, guide, store, row(x), 10000, mc.Config{Seed: 1, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
