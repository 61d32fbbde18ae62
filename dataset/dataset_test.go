package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// small returns a 3×2 data set with labels.
func small() *Dataset {
	return &Dataset{Name: "s", N: 3, D: 2, X: []float32{0, 0.5, 1, 0.25, 0.75, 1}, Labels: []int{4, 5, 6}}
}

func TestRowAccess(t *testing.T) {
	d := small()
	if got := d.Row(1); !equal32(got, []float32{1, 0.25}) {
		t.Errorf("Row(1) = %v, want [1 0.25]", got)
	}
	if got := d.Float64Row(nil, 2); !slices.Equal(got, []float64{0.75, 1}) {
		t.Errorf("Float64Row(nil, 2) = %v, want [0.75 1]", got)
	}
	dst := make([]float64, 2)
	if got := d.Float64Row(dst, 0); &got[0] != &dst[0] || !slices.Equal(got, []float64{0, 0.5}) {
		t.Errorf("Float64Row(dst, 0) = %v, want [0 0.5] in dst", got)
	}
	// Row is a view: appending to it must not overwrite the next point.
	r := d.Row(0)
	_ = append(r, 9)
	if d.X[2] != 1 {
		t.Errorf("append to Row(0) changed point 1: X = %v", d.X)
	}
}

func TestSubsetHead(t *testing.T) {
	d := small()
	s := d.Subset([]int{2, 0, 2})
	if s.N != 3 || !equal32(s.X, []float32{0.75, 1, 0, 0.5, 0.75, 1}) || !slices.Equal(s.Labels, []int{6, 4, 6}) {
		t.Errorf("Subset([2 0 2]) = %+v", s)
	}
	s.X[0] = 42
	if d.X[4] == 42 {
		t.Error("Subset shares storage with the original")
	}
	for _, tc := range []struct {
		n, want int
	}{{0, 0}, {2, 2}, {3, 3}, {10, 3}} {
		h := d.Head(tc.n)
		if h.N != tc.want || len(h.X) != tc.want*2 || len(h.Labels) != tc.want || !equal32(h.X, d.X[:tc.want*2]) {
			t.Errorf("Head(%d) = %+v, want the first %d points", tc.n, h, tc.want)
		}
	}
	nolabels := &Dataset{N: 2, D: 1, X: []float32{1, 2}}
	if h := nolabels.Head(1); h.Labels != nil {
		t.Errorf("Head of unlabelled data has labels %v", h.Labels)
	}
	if s := nolabels.Subset([]int{1}); s.Labels != nil || s.X[0] != 2 {
		t.Errorf("Subset of unlabelled data = %+v", s)
	}
}

func TestPanics(t *testing.T) {
	d := small()
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Row negative", func() { d.Row(-1) }},
		{"Row past end", func() { d.Row(3) }},
		{"Float64Row short dst", func() { d.Float64Row(make([]float64, 1), 0) }},
		{"Float64Row index", func() { d.Float64Row(nil, 3) }},
		{"Subset index", func() { d.Subset([]int{0, 3}) }},
		{"Head negative", func() { d.Head(-1) }},
		{"Batch dst", func() { d.Batch(make([]float32, 3), []int{0, 1}, Continuous, nil) }},
		{"Batch index", func() { d.Batch(nil, []int{5}, Continuous, nil) }},
		{"Batch Fixed on continuous data", func() { d.Batch(nil, []int{0}, Fixed, nil) }},
		{"Batch Dynamic nil rand", func() { d.Batch(nil, []int{0}, Dynamic, nil) }},
		{"Batch unknown", func() { d.Batch(nil, []int{0}, Binarization(7), rnd) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}

func TestParseBinarization(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Binarization
		wantErr string
	}{
		{"dynamic", Dynamic, ""},
		{"Fixed", Fixed, ""},
		{"none", Continuous, ""},
		{" continuous ", Continuous, ""},
		{"static", 0, `unknown binarization "static" (want dynamic, fixed or none)`},
		{"", 0, `unknown binarization "" (want dynamic, fixed or none)`},
	} {
		got, err := ParseBinarization(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseBinarization(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBinarization(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
		// String gives a name that parses back to the same value.
		if back, err := ParseBinarization(got.String()); err != nil || back != got {
			t.Errorf("ParseBinarization(%v.String()) = %v, %v", got, back, err)
		}
	}
	if got := Binarization(9).String(); got != "Binarization(9)" {
		t.Errorf("Binarization(9).String() = %q", got)
	}
}

func TestBatchCopies(t *testing.T) {
	d := small()
	want := []float32{0.75, 1, 0, 0.5}
	if got := d.Batch(nil, []int{2, 0}, Continuous, nil); !equal32(got, want) {
		t.Errorf("Batch Continuous = %v, want %v", got, want)
	}
	bin := &Dataset{Name: "b", N: 2, D: 2, X: []float32{0, 1, 1, 1}, Binary: true}
	for _, b := range []Binarization{Continuous, Fixed, Dynamic} {
		dst := make([]float32, 4)
		got := bin.Batch(dst, []int{1, 0}, b, nil)
		if &got[0] != &dst[0] || !equal32(got, []float32{1, 1, 0, 1}) {
			t.Errorf("Batch %v on binary data = %v, want [1 1 0 1] in dst", b, got)
		}
	}
}

// TestDynamic checks that dynamic binarisation draws Bernoulli(p) values:
// the mean of each column over many batches is within 5 standard errors of
// p, values are exactly 0 or 1, and the same seed gives the same batch.
func TestDynamic(t *testing.T) {
	p := []float32{0, 0.1, 0.5, 0.9, 1}
	d := &Dataset{Name: "p", N: 1, D: len(p), X: p}
	rnd := rand.New(rand.NewPCG(7, 0))
	const reps = 20000
	idx := make([]int, reps) // point 0, reps times
	batch := d.Batch(nil, idx, Dynamic, rnd)
	for j, pj := range p {
		sum := 0.0
		for k := range reps {
			v := batch[k*len(p)+j]
			if v != 0 && v != 1 {
				t.Fatalf("value %v is not 0 or 1", v)
			}
			sum += float64(v)
		}
		mean := sum / reps
		se := math.Sqrt(float64(pj) * (1 - float64(pj)) / reps)
		if math.Abs(mean-float64(pj)) > 5*se {
			t.Errorf("p = %v: mean %v, more than 5 standard errors (%v) away", pj, mean, se)
		}
	}
	a := d.Batch(nil, []int{0, 0}, Dynamic, rand.New(rand.NewPCG(3, 4)))
	b := d.Batch(nil, []int{0, 0}, Dynamic, rand.New(rand.NewPCG(3, 4)))
	if !equal32(a, b) {
		t.Errorf("same seed, different batches: %v and %v", a, b)
	}
	// Two uses of the same point get independent draws.
	c := d.Batch(nil, make([]int, 50), Dynamic, rand.New(rand.NewPCG(3, 4)))
	if equal32(c[:5], c[5:10]) && equal32(c[:5], c[10:15]) && equal32(c[:5], c[15:20]) {
		t.Errorf("dynamic binarisation repeats the same draw: %v", c[:20])
	}
}

func TestBinarize(t *testing.T) {
	d := small()
	a := d.Binarize(rand.New(rand.NewPCG(5, 6)))
	b := d.Binarize(rand.New(rand.NewPCG(5, 6)))
	if !equal32(a.X, b.X) {
		t.Errorf("same seed, different binarisations: %v and %v", a.X, b.X)
	}
	if !a.Binary || !isBinary(a.X) {
		t.Errorf("Binarize gave %v, Binary = %v", a.X, a.Binary)
	}
	// Intensities 0 and 1 are kept exactly.
	for i, v := range d.X {
		if (v == 0 || v == 1) && a.X[i] != v {
			t.Errorf("value %d: %v became %v", i, v, a.X[i])
		}
	}
	if d.Binary || d.X[1] != 0.5 {
		t.Error("Binarize changed the original")
	}
	if !slices.Equal(a.Labels, d.Labels) || a.N != d.N || a.D != d.D {
		t.Errorf("Binarize lost shape or labels: %+v", a)
	}
	// A binarised copy works with Fixed.
	if got := a.Batch(nil, []int{1}, Fixed, nil); !equal32(got, a.X[2:4]) {
		t.Errorf("Batch Fixed = %v, want %v", got, a.X[2:4])
	}
	// The fraction of ones matches the mean intensity.
	big := &Dataset{N: 1, D: 40000, X: make([]float32, 40000)}
	for i := range big.X {
		big.X[i] = 0.3
	}
	bb := big.Binarize(rand.New(rand.NewPCG(9, 9)))
	ones := 0
	for _, v := range bb.X {
		ones += int(v)
	}
	frac, se := float64(ones)/40000, math.Sqrt(0.3*0.7/40000)
	if math.Abs(frac-0.3) > 5*se {
		t.Errorf("fraction of ones %v, want 0.3 ± %v", frac, 5*se)
	}
}

func ExampleDataset_Batch() {
	d := &Dataset{N: 2, D: 4, X: []float32{0, 0.5, 0.5, 1, 0.9, 0.9, 0.1, 0.1}}
	rnd := rand.New(rand.NewPCG(1, 1))
	fmt.Println(d.Batch(nil, []int{1, 0}, Continuous, nil))
	fmt.Println(d.Batch(nil, []int{1, 0}, Dynamic, rnd))
	// Output:
	// [0.9 0.9 0.1 0.1 0 0.5 0.5 1]
	// [1 0 0 0 0 0 0 1]
}

func TestDense(t *testing.T) {
	d := &Dataset{N: 2, D: 3, X: []float32{0, 0.5, 1, 0.25, 0.75, 0.125}}
	m := d.Dense()
	if r, c := m.Dims(); r != 2 || c != 3 {
		t.Fatalf("Dense is %d×%d, want 2×3", r, c)
	}
	for i := range 2 {
		for j := range 3 {
			if got, want := m.At(i, j), float64(d.X[i*3+j]); got != want {
				t.Errorf("Dense[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	if !(&Dataset{}).Dense().IsEmpty() {
		t.Error("Dense of an empty data set is not empty")
	}
}
