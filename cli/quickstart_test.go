package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
)

// Quality of the README's quick start: train-vae with its defaults on the
// embedded MNIST subset (about a minute on two cores) must tell the story
// of the seed. The thresholds are stated measures, each far from what a
// collapsed encoder gives (every reconstruction the mean digit, prior
// samples grey blobs: test ELBO ≈ −206, IS ≈ prior).
const (
	// quickMinTestELBO is the lowest acceptable test ELBO (nats, 500
	// embedded test digits) after the default run.
	quickMinTestELBO = -135
	// quickMinReconAcc is the lowest acceptable fraction of test digits
	// whose reconstruction's nearest training digit (Euclidean) has the
	// test digit's label: reconstructions of the right digits. The raw
	// test digits score about 0.87 against the 2000 training digits.
	quickMinReconAcc = 0.75
	// Prior samples must show every digit, none dominating: of 100
	// decoder means at z ~ N(0, I), each digit must be the label of the
	// nearest training digit of at least quickMinPerDigit and at most
	// quickMaxPerDigit. (The default run gives 4 to 19; a collapsed model's
	// samples, all one blob, give none of several digits and 37 of one.)
	quickMinPerDigit = 3
	quickMaxPerDigit = 25
	// quickMinGap is the smallest acceptable gap (nats, mean over 10 test
	// digits) between importance sampling with the encoder and naive
	// prior sampling at K = 1000.
	quickMinGap = 15
)

// TestQuickStartQuality trains with train-vae's defaults, as the README
// does, and checks the stated measures above.
func TestQuickStartQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the README's quick-start VAE (about a minute on two cores)")
	}
	dir := filepath.Join(t.TempDir(), "vae")
	out, errOut, code := run(t, "train-vae", "--out", dir, "--json", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("train-vae: exit %d\n%s", code, errOut)
	}
	var last struct {
		Epoch    int     `json:"epoch"`
		TestELBO float64 `json:"test_elbo"`
	}
	sc := bufio.NewScanner(bytes.NewReader([]byte(out)))
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("train-vae --json line %q: %v", sc.Text(), err)
		}
	}
	t.Logf("test ELBO after %d epochs: %.2f", last.Epoch, last.TestELBO)
	if !(last.TestELBO >= quickMinTestELBO) {
		t.Errorf("test ELBO %.2f after %d epochs, want ≥ %d", last.TestELBO, last.Epoch, quickMinTestELBO)
	}

	vae, err := checkpoint.LoadVAE(filepath.Join(dir, checkpoint.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	splits, err := dataset.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	train, test := splits.Train.Dense(), splits.Test.Head(200)
	recon := reconstructMeans(vae, test.Dense())
	acc := nnLabelAccuracy(train, splits.Train.Labels, recon, test.Labels)
	rawAcc := nnLabelAccuracy(train, splits.Train.Labels, test.Dense(), test.Labels)
	t.Logf("nearest-training-digit label accuracy: reconstructions %.3f, raw test digits %.3f", acc, rawAcc)
	if !(acc >= quickMinReconAcc) {
		t.Errorf("reconstructions: %.3f of them are nearest to a training digit of the right label, want ≥ %.2f", acc, quickMinReconAcc)
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	z := mat.NewDense(100, vae.LatentDim(), nil)
	for i := range z.RawMatrix().Data {
		z.RawMatrix().Data[i] = rnd.NormFloat64()
	}
	samples := vae.DecodeMean(z)
	var perDigit [10]int
	for i := range 100 {
		perDigit[splits.Train.Labels[nearest(train, samples.RawRowView(i), 1)[0]]]++
	}
	t.Logf("prior samples per digit (label of the nearest training digit): %v", perDigit)
	if lo, hi := slices.Min(perDigit[:]), slices.Max(perDigit[:]); lo < quickMinPerDigit || hi > quickMaxPerDigit {
		t.Errorf("prior samples per digit %v: want each digit %d to %d times of 100", perDigit, quickMinPerDigit, quickMaxPerDigit)
	}

	out, errOut, code = run(t, "estimate-px", "--model", dir, "--n", "10", "--k", "1000", "--method", "prior,is,elbo", "--json", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("estimate-px: exit %d\n%s", code, errOut)
	}
	var res struct {
		Results []struct {
			Method string  `json:"method"`
			LogPX  float64 `json:"log_px"`
			StdErr float64 `json:"stderr"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	se := map[string]float64{}
	for _, r := range res.Results {
		got[r.Method], se[r.Method] = r.LogPX, r.StdErr
	}
	t.Logf("K=1000, 10 test digits: prior %.2f ± %.2f, is %.2f ± %.2f, elbo %.2f ± %.2f",
		got["prior"], se["prior"], got["is"], se["is"], got["elbo"], se["elbo"])
	if gap := got["is"] - got["prior"]; !(gap >= quickMinGap) {
		t.Errorf("IS − prior at K = 1000: %.2f nats, want ≥ %d", gap, quickMinGap)
	}
	if !(got["elbo"] < got["is"]+3*math.Hypot(se["elbo"], se["is"])) {
		t.Errorf("ELBO %.2f above IS %.2f", got["elbo"], got["is"])
	}
}

// reconstructMeans returns the decoder means at the encoder means of x's
// rows.
func reconstructMeans(v *amortized.VAE, x *mat.Dense) *mat.Dense {
	mu, _ := v.Encode(x)
	return v.DecodeMean(mu)
}

// nearest returns the indices of the k rows of ref nearest (Euclidean) to
// x, nearest first.
func nearest(ref *mat.Dense, x []float64, k int) []int {
	n, _ := ref.Dims()
	idx := make([]int, n)
	d := make([]float64, n)
	for i := range n {
		idx[i] = i
		for j, v := range ref.RawRowView(i) {
			d[i] += (v - x[j]) * (v - x[j])
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:k]
}

// nnLabelAccuracy returns the fraction of x's rows whose nearest row of ref
// has the row's label.
func nnLabelAccuracy(ref *mat.Dense, refLabels []int, x *mat.Dense, labels []int) float64 {
	n, _ := x.Dims()
	var ok int
	for i := range n {
		if refLabels[nearest(ref, x.RawRowView(i), 1)[0]] == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(n)
}
