package cli

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/mc"
)

// Seeds of the evaluation: fixed, so that test scores and figures are
// comparable across epochs and across runs with different --seed.
const (
	testBinarizeSeed = 0x7465737462696e // binarisation of the test set
	evalSeed         = 0x6576616c       // ε of the test ELBO
	samplesSeed      = 0x73616d70       // z of samples.png
)

// Labels of the streams derived from --seed.
const (
	seedInit  = 0x696e6974 // model initialisation
	seedFixed = 0x66697864 // fixed binarisation of the training set
)

// newInitRand returns the source of the model initialisation.
func newInitRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mc.DeriveSeed(seed, seedInit), 0))
}

// loadData reads the training and test data that the settings name,
// checks their values, binarises them as configured and hashes the
// training data.
func (r *trainRun) loadData() error {
	s := r.s
	// Read only the points used: --train-n of the training split, and as
	// many of the test split (at least --test-n).
	want := 0
	if s.trainN > 0 {
		want = max(s.trainN, s.testN)
	}
	sp, err := openData("--data", s.data, want)
	if err != nil {
		return err
	}
	train, test := sp.Train, sp.Test
	if s.testData != "" {
		tsp, err := openData("--test-data", s.testData, s.testN)
		if err != nil {
			return err
		}
		test = tsp.Test
		if test == nil {
			test = tsp.Train
		}
	}
	if train.N == 0 {
		return usagef("--data: %s has no data points", train.Name)
	}
	if test != nil && test.D != train.D {
		return usagef("--test-data: %s has %d values per point, but the training data %s have %d", test.Name, test.D, train.Name, train.D)
	}
	if s.trainN > train.N {
		fewerPoints(r.log, "--train-n", s.trainN, train.Name, train.N)
	}
	if s.trainN > 0 {
		train = train.Head(min(s.trainN, train.N))
	}
	if test != nil {
		test = test.Head(s.testN)
		if test.N == 0 {
			test = nil
		}
	}
	unit := ""
	switch {
	case s.kind == "vae" && s.likelihood == amortized.Bernoulli:
		unit = "the Bernoulli likelihood"
	case s.kind == "ae" && s.loss == amortized.BCE:
		unit = "the bce loss"
	case s.train.Binarization != dataset.Continuous:
		unit = "--binarize " + s.train.Binarization.String()
	}
	if err := checkValues("--data", train, unit); err != nil {
		return err
	}
	if test != nil {
		flag := "--data"
		if s.testData != "" {
			flag = "--test-data"
		}
		if err := checkValues(flag, test, unit); err != nil {
			return err
		}
	}
	r.hash = hashData(train)
	if s.train.Binarization == dataset.Fixed && !train.Binary {
		train = train.Binarize(rand.New(rand.NewPCG(mc.DeriveSeed(s.train.Seed, seedFixed), 0)))
	}
	if test != nil && s.train.Binarization != dataset.Continuous {
		test = test.Binarize(rand.New(rand.NewPCG(testBinarizeSeed, 0)))
	}
	if test == nil && s.testN > 0 {
		r.log.Warn().Str("data", train.Name).Msg("no test data (give --test-data): the test score is not computed")
	}
	r.train, r.test = train, test
	return nil
}

// checkValues returns a usage error naming flag if a value of d is not
// finite or, when unit is not empty, lies outside [0, 1].
func checkValues(flag string, d *dataset.Dataset, unit string) error {
	for i, v := range d.X {
		f := float64(v)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return usagef("%s: %s: point %d, value %d is %v (want a finite number)", flag, d.Name, i/d.D+1, i%d.D+1, v)
		case unit != "" && (f < 0 || f > 1):
			return usagef("%s: %s: point %d, value %d is %v (%s needs values in [0, 1])", flag, d.Name, i/d.D+1, i%d.D+1, v, unit)
		}
	}
	return nil
}

// hashData returns a hexadecimal FNV-1a hash of d's shape and values.
func hashData(d *dataset.Dataset) string {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(d.N))
	h.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(d.D))
	h.Write(b[:])
	buf := make([]byte, 0, 4096)
	for _, v := range d.X {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return strconv.FormatUint(h.Sum64(), 16)
}

// evaluate returns the test ELBO (VAE) or the test loss (AE).
func (r *trainRun) evaluate() (float64, error) {
	switch m := r.model.(type) {
	case *amortized.VAE:
		return amortized.EvaluateVAE(m, r.test, evalSeed)
	case *amortized.AE:
		return amortized.EvaluateAE(m, r.test)
	}
	panic(fmt.Sprintf("cli: unknown model %T", r.model))
}

// newTrainBar returns a bar counting to total images, done of which are
// already done, drawn on w when show is true.
func newTrainBar(show bool, total, done int, desc string, w io.Writer) *progress {
	p := newProgressOf(show, int64(total), desc, "images", w)
	p.add(done)
	return p
}
