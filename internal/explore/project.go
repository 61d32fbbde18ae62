package explore

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Projection maps a latent space of any dimension L onto the plane that the
// page draws, and back.
//
// A point (u, v) of the plane stands for the latent vector
// Center + u·Axes[0] + v·Axes[1]; a latent vector z is shown at the
// coordinates of its orthogonal projection onto that plane. For L = 1, Axes[1]
// is nil and v is ignored when lifting.
type Projection struct {
	// Center is the origin of the plane in latent space.
	Center []float64
	// Axes are the two orthonormal directions of the plane (Axes[1] is nil
	// for L = 1).
	Axes [2][]float64
	// Explained is the fraction of the variance of the codes that the
	// plane holds, NaN when the plane is the whole space.
	Explained float64
	// Text says in words how the plane was chosen, for the page.
	Text string
}

// Dim returns the latent dimension L.
func (p *Projection) Dim() int { return len(p.Center) }

// Lift returns the latent vector of the plane point (u, v) in dst,
// allocating it if nil.
func (p *Projection) Lift(dst []float64, u, v float64) []float64 {
	if dst == nil {
		dst = make([]float64, p.Dim())
	}
	for j := range dst {
		dst[j] = p.Center[j] + u*p.Axes[0][j]
		if p.Axes[1] != nil {
			dst[j] += v * p.Axes[1][j]
		}
	}
	return dst
}

// Project returns the plane coordinates of the latent vector z. For L = 1 it
// returns v = 0.
func (p *Projection) Project(z []float64) (u, v float64) {
	for j, zj := range z {
		d := zj - p.Center[j]
		u += d * p.Axes[0][j]
		if p.Axes[1] != nil {
			v += d * p.Axes[1][j]
		}
	}
	return u, v
}

// unit returns the j-th standard basis vector of length l.
func unit(l, j int) []float64 {
	e := make([]float64, l)
	e[j] = 1
	return e
}

// NewProjection chooses the plane for codes, an n×L matrix of encoded test
// points; space names the space in Text ("latent", "code"). For L = 2 the
// plane is the space itself with the origin at 0; for L = 1 the line itself;
// for L > 2 the plane through the mean of the codes spanned by their first two
// principal components, each oriented so that its largest component is
// positive. It returns an error if the codes are not finite or, for L > 2,
// fewer than two of them are given.
func NewProjection(codes *mat.Dense, space string) (*Projection, error) {
	n, l := codes.Dims()
	for i := range n {
		for _, v := range codes.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("the %s of test point %d is not finite (%v)", space, i+1, v)
			}
		}
	}
	switch {
	case l == 1:
		return &Projection{Center: []float64{0}, Axes: [2][]float64{{1}, nil}, Explained: math.NaN(),
			Text: fmt.Sprintf("The %s space has one dimension: the horizontal axis is z₁; the vertical position only spreads the points apart, and decoding ignores it.", space)}, nil
	case l == 2:
		return &Projection{Center: []float64{0, 0}, Axes: [2][]float64{unit(2, 0), unit(2, 1)}, Explained: math.NaN(),
			Text: fmt.Sprintf("The %s space has two dimensions: the plane is the whole space, horizontal z₁, vertical z₂.", space)}, nil
	}
	if n < 2 {
		return nil, fmt.Errorf("a %d-dimensional %s space needs at least two test points to choose a plane (have %d)", l, space, n)
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, codes, nil)
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("the principal components of the %d test %ss could not be computed", n, space)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var total float64
	for _, v := range vals {
		total += v
	}
	p := &Projection{Center: make([]float64, l)}
	for j := range l {
		p.Center[j] = stat.Mean(mat.Col(nil, j, codes), nil)
	}
	for a := range 2 {
		col := mat.Col(nil, l-1-a, &vecs)
		big := 0
		for j := range col {
			if math.Abs(col[j]) > math.Abs(col[big]) {
				big = j
			}
		}
		if col[big] < 0 {
			for j := range col {
				col[j] = -col[j]
			}
		}
		p.Axes[a] = col
	}
	p.Explained = math.NaN()
	if total > 0 {
		p.Explained = (vals[l-1] + vals[l-2]) / total
	}
	p.Text = fmt.Sprintf("The %s space has %d dimensions. The plane shown passes through the mean of the %d encoded test digits and is spanned by their first two principal components (%.0f%% of their variance): "+
		"a point (u, v) decodes mean + u·a₁ + v·a₂, the other %d directions held at the mean, and every point is drawn at its projection onto the plane.",
		space, l, n, 100*p.Explained, l-2)
	return p, nil
}

// spread returns the vertical positions of n points on a one-dimensional
// plane: deterministic draws uniform on (−1, 1), to keep points apart.
func spread(n int) []float64 {
	rnd := rand.New(rand.NewPCG(0x737072, 0))
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*rnd.Float64() - 1
	}
	return v
}
