package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// TestTransformedDistribution checks the change of variables against the
// families it reproduces in closed form: exp of a Normal is a LogNormal, a
// scaled Exponential is an Exponential, and the stick-breaking image of a
// Normal scores simplex points consistently with Sample and LogProbVar.
func TestTransformedDistribution(t *testing.T) {
	x := dense([]float64{0.3, 2}, []float64{1, 0.01}, []float64{5, 1e-3})
	tn := TransformedDistribution{Base: Normal{dense([]float64{0.2, -1}), dense([]float64{math.Log(0.7), 0})}, Transform: ExpTransform{}}
	ln := LogNormal{dense([]float64{0.2, -1}), dense([]float64{0.7, 1})}
	got, want := tn.LogProb(nil, x), ln.LogProb(nil, x)
	gotVar := tn.LogProbVar(ad.FromDense(x))
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) || math.Abs(gotVar.Data[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Errorf("exp∘Normal row %d: %v / %v, LogNormal %v", i, got[i], gotVar.Data[i], want[i])
		}
	}
	if tn.Support() != Positive || tn.Dim() != 2 || tn.Len() != 1 {
		t.Errorf("support %v, Dim %d, Len %d", tn.Support(), tn.Dim(), tn.Len())
	}
	te := TransformedDistribution{Base: Exponential{s11(1)}, Transform: AffineTransform{Loc: s11(0), Scale: s11(0.25)}}
	got = te.LogProb(nil, dense([]float64{0.1}, []float64{2}))
	want = Exponential{s11(4)}.LogProb(nil, dense([]float64{0.1}, []float64{2}))
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Errorf("scaled Exponential row %d: %v, want %v", i, got[i], want[i])
		}
	}
	// The stick-breaking image of a 2-d Normal on the 3-simplex: draws lie
	// on the simplex and the density integrates to one: E_q[p/q] = 1 under
	// a Dirichlet proposal q, within zSE standard errors.
	ts := TransformedDistribution{Base: Normal{dense([]float64{0.3, -0.2}), dense([]float64{-0.5, -0.3})}, Transform: StickBreakingTransform{}}
	var draws mat.Dense
	draws.ReuseAs(100, 3)
	ts.Sample(&draws, newRand(3))
	for i := range 100 {
		if !Simplex.Contains(draws.RawRowView(i)) {
			t.Fatalf("draw %v is not on the simplex", draws.RawRowView(i))
		}
	}
	const n = 40000
	q := Dirichlet{dense([]float64{2, 2, 2})}
	z := mat.NewDense(n, 3, nil)
	q.Sample(z, newRand(4))
	lp, lq := ts.LogProb(nil, z), q.LogProb(nil, z)
	var m, m2 float64
	for i := range n {
		w := math.Exp(lp[i] - lq[i])
		m += w
		m2 += w * w
	}
	m /= n
	se := math.Sqrt((m2/n - m*m) / n)
	if math.Abs(m-1) > zSE*se {
		t.Errorf("∫ p over the simplex = %v ± %v, want 1", m, zSE*se)
	}
}

func TestDelta(t *testing.T) {
	tp := ad.NewTape()
	v := tp.Var(1, 2, []float64{0.5, -1})
	d := Delta{Value: v, LogDensity: 0.3}
	z := d.RSampleVar(3, nil)
	tp.Backward(ad.Sum(z))
	if g := v.Grad(); g[0] != 3 || g[1] != 3 {
		t.Errorf("gradient %v, want [3 3]", g)
	}
	lp := d.LogProb(nil, dense([]float64{0.5, -1}, []float64{0.5, -0.9}))
	if lp[0] != 0.3 || !math.IsInf(lp[1], -1) {
		t.Errorf("log p = %v", lp)
	}
	var m, vr mat.Dense
	d.Mean(&m)
	d.Variance(&vr)
	if m.At(0, 1) != -1 || vr.At(0, 0) != 0 || d.Entropy(nil)[0] != 0 {
		t.Error("moments")
	}
}
