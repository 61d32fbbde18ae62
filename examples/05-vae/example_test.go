package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the VAEs and autoencoders in fast mode and checks the
// example's claims: training raises the ELBO, and VAE prior samples are
// distributed much more like real digits (smaller MMD²) than decodes of
// random N(0, I) codes by an autoencoder; a permutation test does not tell
// two real test sets apart but does tell the AE's decodes from them; and the
// VAE's codes leave less of the prior empty than the AE's. checkSpread
// checks the runs from several seeds behind the training curve's band.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, curve := range [][]epochRow{res.Curve, res.Curve2} {
		first, last := curve[0], curve[len(curve)-1]
		if !(last.TrainELBO > first.TrainELBO+20 && last.TestELBO > first.TestELBO) {
			t.Errorf("ELBO did not improve: epoch %d train %.2f test %.2f, epoch %d train %.2f test %.2f",
				first.Epoch, first.TrainELBO, first.TestELBO, last.Epoch, last.TrainELBO, last.TestELBO)
		}
	}
	checkSpread(t, res)
	real, vae, ae := res.gen(kindTrain), res.gen(kindVAE), res.gen(kindAEStd)
	if !(vae.MMD2 < ae.MMD2/2) {
		t.Errorf("MMD² to real digits: VAE samples %.4f, AE random codes %.4f: want the VAE's at most half", vae.MMD2, ae.MMD2)
	}
	if !(real.MMD2 < ae.MMD2/2) {
		t.Errorf("MMD² of real training digits %.4f not far below the AE's %.4f", real.MMD2, ae.MMD2)
	}
	// Two sets of real test digits are not told apart; the AE's decodes of
	// N(0, I) codes are.
	if floor := res.gen(kindTest); !(floor.P > 0.05) {
		t.Errorf("real test digits against real test digits: p = %.3f, want > 0.05", floor.P)
	}
	if !(ae.P < 0.01) {
		t.Errorf("AE random codes: p = %.3f, want < 0.01", ae.P)
	}
	// The VAE leaves less of the prior's mass far from every code than the
	// AE, and a genuine N(0, I) sample leaves about 1%.
	vaeCov, aeCov := res.cover(coverDraws2), res.cover(coverAE2)
	if !(vaeCov.EmptyPrior < aeCov.EmptyPrior) {
		t.Errorf("prior's empty mass: VAE draws %.3f, AE codes %.3f: want the VAE's smaller", vaeCov.EmptyPrior, aeCov.EmptyPrior)
	}
	if g := vaeCov.EmptyOfPrior; g < 0.002 || g > 0.03 {
		t.Errorf("prior's empty mass for a genuine N(0, I) sample: %.4f, want about 0.01", g)
	}
	if err := notebook.CheckPNGs(res.Figures, 6); err != nil {
		t.Error(err)
	}
}

// checkSpread checks the runs from several seeds behind the training
// curve's band: every seed's run improves, the first is the main run, the
// seeds give different runs (sd > 0), and the spread of the final test ELBO
// is small beside what training gained.
func checkSpread(t *testing.T, res results) {
	t.Helper()
	if len(res.Spread) != 2 || len(res.Curves) != 3 || len(res.Curves2) != 3 {
		t.Fatalf("%d spread rows, %d and %d curves: want 2 rows and 3 curves each", len(res.Spread), len(res.Curves), len(res.Curves2))
	}
	for i, curves := range [][][]epochRow{res.Curves, res.Curves2} {
		r := res.Spread[i]
		var gains []float64
		for s, c := range curves {
			first, last := c[0], c[len(c)-1]
			if !(last.TestELBO > first.TestELBO+10) {
				t.Errorf("L = %d, seed %d: test ELBO %.2f after epoch 1, %.2f at the end: want a gain above 10", r.Latent, s, first.TestELBO, last.TestELBO)
			}
			gains = append(gains, last.TestELBO-first.TestELBO)
		}
		if main := [][]epochRow{res.Curve, res.Curve2}[i]; !slices.Equal(main, curves[0]) {
			t.Errorf("L = %d: the main run is not the first seed's", r.Latent)
		}
		gain, _ := notebook.MeanSD(gains)
		if !(r.TestSD > 0 && r.TrainSD > 0 && r.TestSD < gain/10) {
			t.Errorf("L = %d: final test ELBO %.2f ± %.3f, train ± %.3f over %d seeds, gain since epoch 1 %.2f: want 0 < sd < gain/10",
				r.Latent, r.TestMean, r.TestSD, r.TrainSD, r.Seeds, gain)
		}
	}
}
