package explore

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestProjectionSmall checks the planes of one- and two-dimensional spaces:
// the space itself.
func TestProjectionSmall(t *testing.T) {
	for _, tc := range []struct {
		l    int
		text string
	}{{1, "one dimension"}, {2, "two dimensions"}} {
		codes := mat.NewDense(3, tc.l, nil)
		for i := range 3 {
			for j := range tc.l {
				codes.Set(i, j, float64(i*tc.l+j)-2)
			}
		}
		p, err := NewProjection(codes, "latent")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Text, tc.text) || !math.IsNaN(p.Explained) {
			t.Errorf("L=%d: text %q, explained %v", tc.l, p.Text, p.Explained)
		}
		z := p.Lift(nil, 0.5, -1.5)
		want := []float64{0.5, -1.5}[:tc.l]
		if !floats.Equal(z, want) {
			t.Errorf("L=%d: Lift(0.5, -1.5) = %v, want %v", tc.l, z, want)
		}
		u, v := p.Project(z)
		if u != 0.5 || (tc.l == 2 && v != -1.5) || (tc.l == 1 && v != 0) {
			t.Errorf("L=%d: Project(%v) = (%v, %v)", tc.l, z, u, v)
		}
	}
}

// TestProjectionPCA checks the plane of a higher-dimensional space on codes
// that lie in a known plane: the plane is found (all variance explained,
// lifting a projection gives the code back), its axes are orthonormal, and
// projecting a lifted point gives the point back.
func TestProjectionPCA(t *testing.T) {
	const l, n = 5, 200
	center := []float64{1, -2, 0.5, 3, 0}
	// Two orthonormal directions, spreads 3 and 1.
	a := []float64{1, 1, 0, 0, 0}
	b := []float64{0, 0, 1, 0, -1}
	floats.Scale(1/floats.Norm(a, 2), a)
	floats.Scale(1/floats.Norm(b, 2), b)
	// Pairs of codes share s and take r = ±1, so that the sample
	// covariance of s and r is exactly zero and the principal axes are a
	// and b.
	codes := mat.NewDense(n, l, nil)
	for i := range n {
		s, r := 3*float64(i/2-n/4)+0.25, float64(1-2*(i%2))
		for j := range l {
			codes.Set(i, j, center[j]+s*a[j]+r*b[j])
		}
	}
	p, err := NewProjection(codes, "latent")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Explained-1) > 1e-9 {
		t.Errorf("explained %v, want 1 (the codes lie in a plane)", p.Explained)
	}
	if !strings.Contains(p.Text, "5 dimensions") || !strings.Contains(p.Text, "100%") || !strings.Contains(p.Text, "other 3 directions") {
		t.Errorf("text %q", p.Text)
	}
	for x := range 2 {
		for y := range 2 {
			want := 0.0
			if x == y {
				want = 1
			}
			if d := floats.Dot(p.Axes[x], p.Axes[y]); math.Abs(d-want) > 1e-9 {
				t.Errorf("axes %d·%d = %v, want %v", x, y, d, want)
			}
		}
	}
	// The first axis is ±a, the direction of largest spread, oriented so
	// that its largest component is positive.
	if d := floats.Dot(p.Axes[0], a); math.Abs(d-1) > 1e-9 {
		t.Errorf("first axis %v, want %v", p.Axes[0], a)
	}
	for i := range 5 {
		z := codes.RawRowView(i)
		u, v := p.Project(z)
		back := p.Lift(nil, u, v)
		if !floats.EqualApprox(back, z, 1e-9) {
			t.Errorf("code %d: Lift(Project(z)) = %v, want %v", i, back, z)
		}
	}
	u, v := p.Project(p.Lift(nil, 2, -0.5))
	if math.Abs(u-2) > 1e-12 || math.Abs(v+0.5) > 1e-12 {
		t.Errorf("Project(Lift(2, -0.5)) = (%v, %v)", u, v)
	}
}

// TestProjectionErrors checks non-finite codes and too few points.
func TestProjectionErrors(t *testing.T) {
	if _, err := NewProjection(mat.NewDense(2, 2, []float64{0, 1, math.NaN(), 0}), "code"); err == nil || !strings.Contains(err.Error(), "test point 2 is not finite") {
		t.Errorf("NaN code: error %v", err)
	}
	if _, err := NewProjection(mat.NewDense(1, 3, []float64{0, 1, 2}), "code"); err == nil || !strings.Contains(err.Error(), "at least two test points") {
		t.Errorf("one point in 3-D: error %v", err)
	}
}
