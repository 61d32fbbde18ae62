package main

import (
	"bytes"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the VAEs and autoencoders in fast mode and checks the
// example's claims: training raises the ELBO, and VAE prior samples are
// distributed much more like real digits (smaller MMD²) than decodes of
// random N(0, I) codes by an autoencoder.
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
	real, vae, ae := res.gen(kindTrain), res.gen(kindVAE), res.gen(kindAEStd)
	if !(vae.MMD2 < ae.MMD2/2) {
		t.Errorf("MMD² to real digits: VAE samples %.4f, AE random codes %.4f: want the VAE's at most half", vae.MMD2, ae.MMD2)
	}
	// Real training digits against real test digits: the noise floor.
	if !(real.MMD2 < ae.MMD2/2) {
		t.Errorf("MMD² of real training digits %.4f not far below the AE's %.4f", real.MMD2, ae.MMD2)
	}
	if err := notebook.CheckPNGs(res.Figures, 6); err != nil {
		t.Error(err)
	}
}
