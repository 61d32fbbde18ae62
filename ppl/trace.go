package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// Model is a generative model p(x, z) written as a function: it draws its
// latent sites with t.Sample and scores the data x with t.Observe. x holds
// the data as a constant matrix, one data point per row (a single point is a
// 1×D row). A Model must be deterministic given the tracer (all randomness
// comes through t.Sample) and must treat the K particles (rows of every
// latent value) independently.
type Model func(t *Tracer, x *ad.Var)

// Guide is a variational family q(z|x) written as a function: it draws every
// latent site of its model, under the same names, with t.Sample.
type Guide func(t *Tracer, x *ad.Var)

// SiteKind tells latent sites from observed ones.
type SiteKind int

const (
	// Latent is a site drawn by Tracer.Sample.
	Latent SiteKind = iota
	// Observed is a site scored by Tracer.Observe.
	Observed
	// Auxiliary is a guide-internal site: the joint draw of an automatic
	// guide, whose value is split into the named latent sites. It counts in
	// the guide's log-density but is not replayed in the model.
	Auxiliary
)

// String returns "latent", "observed" or "auxiliary".
func (k SiteKind) String() string {
	switch k {
	case Latent:
		return "latent"
	case Observed:
		return "observed"
	case Auxiliary:
		return "auxiliary"
	}
	return fmt.Sprintf("SiteKind(%d)", int(k))
}

// Site is one named random variable of a trace.
type Site struct {
	Name string
	Kind SiteKind
	// Dist is the site's distribution (nil for the latent sites of an
	// automatic guide, whose density is carried by its auxiliary site).
	Dist dist.Differentiable
	// Value is K×Dim for latent and auxiliary sites outside plates and
	// (K·B)×Dim inside a plate that visits B members (row k·B + b is
	// particle k of member b); an observed site's value as given.
	Value *ad.Var
	// LogProb holds the log-densities of the value's rows (K or K·B rows,
	// or one row broadcast to all particles), recorded on the run's tape.
	LogProb *ad.Var
	// Reparam reports whether the value is a differentiable function of the
	// guide's parameters (the distribution is a dist.Reparameterizer and the
	// site was drawn, not enumerated).
	Reparam bool
	// Plate is the plate the site belongs to, or nil.
	Plate *Plate
	// Scale is the factor of the site's log-density in the objective (1
	// unless the site was visited in Tracer.Scale).
	Scale float64
}

// scaled returns the site's log-density times its Scale.
func (s *Site) scaled() *ad.Var {
	if s.Scale == 1 {
		return s.LogProb
	}
	return ad.Scale(s.LogProb, s.Scale)
}

// Trace is the record of one run of a model or guide: its sites in the order
// they were visited.
type Trace struct {
	// K is the number of particles.
	K int
	// Sites are the sites in execution order.
	Sites []*Site
	// Params are the names of the parameters read with Tracer.Param, in
	// first-use order.
	Params []string
	// Plates maps each plate opened by the run to its record.
	Plates map[string]*Plate
	index  map[string]int
	// x is the data the run saw.
	x *ad.Var
}

// Site returns the site with the given name, or nil.
func (tr *Trace) Site(name string) *Site {
	if i, ok := tr.index[name]; ok {
		return tr.Sites[i]
	}
	return nil
}

// LogProb returns the K per-particle sums of the log-densities of the
// sites of the given kinds (all kinds if none), with the sites of a
// subsampled plate scaled by its Scale, as a K×1 Var on the run's tape.
func (tr *Trace) LogProb(kinds ...SiteKind) *ad.Var {
	sum := ad.Const(tr.K, 1, nil)
	for _, s := range tr.Sites {
		if len(kinds) > 0 && !hasKind(kinds, s.Kind) {
			continue
		}
		sum = ad.Add(sum, particleSum(s.scaled(), tr.K, s.Plate))
	}
	return sum
}

// particleSum reduces per-row log-densities to K per-particle sums: rows of a
// plate's members are summed and scaled by the plate's Scale.
func particleSum(lp *ad.Var, k int, p *Plate) *ad.Var {
	if p == nil || lp.R == 1 {
		if p != nil && lp.R == 1 {
			return ad.Scale(lp, float64(p.N))
		}
		return lp
	}
	return ad.Scale(ad.SumRows(ad.Reshape(lp, k, lp.R/k)), p.Scale)
}

func hasKind(kinds []SiteKind, k SiteKind) bool {
	for _, v := range kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Errors reported by the runners. They are wrapped with the site's name.
var (
	// ErrDuplicateSite: a site name is sampled or observed twice in one run.
	ErrDuplicateSite = errors.New("ppl: site name used twice")
	// ErrMissingLatent: the model samples a latent site that the guide does
	// not sample.
	ErrMissingLatent = errors.New("ppl: model latent site is not sampled by the guide")
	// ErrUnmatchedGuideSite: the guide samples a site that the model does not
	// sample as a latent.
	ErrUnmatchedGuideSite = errors.New("ppl: guide site is not a latent site of the model")
	// ErrShape: a value, distribution or operation has the wrong shape.
	ErrShape = errors.New("ppl: shape mismatch")
	// ErrNotReparameterizable: the gradient estimator needs a
	// reparameterisable site.
	ErrNotReparameterizable = errors.New("ppl: site is not reparameterisable")
	// ErrStructure: the structure of a run is inconsistent: a plate opened
	// inside another, a subsampled plate the model does not open, a
	// parameter read with another constraint.
	ErrStructure = errors.New("ppl: inconsistent structure")
	// ErrNotEnumerable: enumeration was asked for a discrete guide site
	// whose distribution is not a dist.Enumerator, or whose combinations
	// are too many.
	ErrNotEnumerable = errors.New("ppl: site cannot be enumerated")
	// ErrNotFinite: a log-density or the objective is NaN or infinite.
	ErrNotFinite = errors.New("ppl: not finite")
	// ErrPanic: the model or guide panicked; the error carries the panic
	// value and the last site visited.
	ErrPanic = errors.New("ppl: model or guide panicked")
)

// siteError carries a misuse error out of user code by panic; the runners
// recover it and return the error.
type siteError struct{ err error }

// fail aborts the running function with a misuse error.
func fail(err error, format string, args ...any) {
	panic(siteError{fmt.Errorf("%w: "+format, append([]any{err}, args...)...)})
}

// session is what the runs of one gradient or evaluation share: the tape
// (nil when nothing is differentiated), the parameter store and the
// parameters already read, so that the guide and the model see the same
// Vars.
type session struct {
	tape   *ad.Tape
	store  *ParamStore
	params map[string]*paramUse
}

func newSession(store *ParamStore, tape *ad.Tape) *session {
	return &session{tape: tape, store: store, params: map[string]*paramUse{}}
}

// paramUse is a parameter read in a session: the leaf holding its
// unconstrained value and the constrained value the code sees.
type paramUse struct {
	leaf, value *ad.Var
}

// mode is how a Tracer treats latent sites.
type mode int

const (
	// modeSample draws fresh values from rnd.
	modeSample mode = iota
	// modeReplay takes values from the replay trace (the model on the
	// guide's values, or a guide re-scored on given values).
	modeReplay
)

// Tracer is the handle a Model or Guide receives: it draws, replays and
// scores sites and records them in a Trace. A Tracer is used by one goroutine.
type Tracer struct {
	mode   mode
	rnd    *rand.Rand
	sess   *session
	replay *Trace
	trace  *Trace
	guide  bool
	// last names the last site visited, for error messages.
	last string
	// enum, when not nil, sets the values of discrete sites drawn in
	// modeSample to the combinations it enumerates.
	enum *enumPlan
	// subsample is the number of members a plate visits when the tracer
	// draws them (0: all); plate is the plate being run, if any.
	subsample int
	plate     *Plate
	// scale is the factor of the log-densities of the sites visited now.
	scale float64
}

func newTracer(k int, m mode, rnd *rand.Rand, sess *session, replay *Trace) *Tracer {
	return &Tracer{
		mode:   m,
		rnd:    rnd,
		sess:   sess,
		replay: replay,
		trace:  &Trace{K: k, index: map[string]int{}, Plates: map[string]*Plate{}},
		scale:  1,
	}
}

// Particles returns K, the number of particles (rows) of every latent value
// outside plates.
func (t *Tracer) Particles() int { return t.trace.K }

// add records site s.
func (t *Tracer) add(s *Site) {
	s.Scale = t.scale
	if _, dup := t.trace.index[s.Name]; dup {
		fail(ErrDuplicateSite, "site %q", s.Name)
	}
	t.trace.index[s.Name] = len(t.trace.Sites)
	t.trace.Sites = append(t.trace.Sites, s)
	t.last = s.Name
}

// rows returns the number of rows a latent value has at the current plate.
func (t *Tracer) rows() int {
	if t.plate != nil {
		return t.trace.K * t.plate.B()
	}
	return t.trace.K
}

// checkDist checks that d can score n rows and returns its Dim, turning a
// malformed distribution into an error naming the site.
func (t *Tracer) checkDist(name string, d dist.Differentiable, n int) (dim int) {
	if d == nil {
		fail(ErrShape, "site %q has a nil distribution", name)
	}
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(siteError); ok {
				panic(se)
			}
			fail(ErrShape, "site %q: %v", name, r)
		}
	}()
	if l := d.Len(); l != 1 && l != n {
		fail(ErrShape, "site %q: the distribution has a batch of %d, want 1 or %d (%s)", name, l, n, t.rowsName())
	}
	return d.Dim()
}

// rowsName describes the rows a latent value has, for messages.
func (t *Tracer) rowsName() string {
	if t.plate != nil {
		return fmt.Sprintf("K·B = %d particles × %d members of plate %q", t.trace.K, t.plate.B(), t.plate.Name)
	}
	return fmt.Sprintf("K = %d particles", t.trace.K)
}

// guard turns a panic inside a distribution's method into an error naming
// the site.
func guard(name string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(siteError); ok {
				panic(se)
			}
			fail(ErrShape, "site %q: %v", name, r)
		}
	}()
	f()
}

// Sample draws the latent site name from d and returns its value: K×Dim, row
// k for particle k (K·B rows inside a plate). In a model replayed on a
// guide's trace it returns the guide's value instead (and scores it under
// d). A reparameterisable d (dist.Reparameterizer) gives a value
// differentiable with respect to d's parameters. The value belongs to the
// trace: read it, do not modify it.
func (t *Tracer) Sample(name string, d dist.Differentiable) *ad.Var {
	n := t.rows()
	dim := t.checkDist(name, d, n)
	s := &Site{Name: name, Kind: Latent, Dist: d, Plate: t.plate}
	guard(name, func() {
		switch {
		case t.mode == modeSample && t.enum != nil && !isReparam(d):
			s.Value = t.enum.value(name, d, n)
		case t.mode == modeSample:
			if r, ok := d.(dist.Reparameterizer); ok {
				s.Value, s.Reparam = r.RSampleVar(n, t.rnd), true
			} else {
				v := mat.NewDense(n, dim, nil)
				d.Sample(v, t.rnd)
				s.Value = ad.FromDense(v)
			}
		default:
			src := t.replaySite(name, n, dim)
			s.Value, s.Reparam = src.Value, src.Reparam
		}
		s.LogProb = d.LogProbVar(s.Value)
	})
	t.add(s)
	return s.Value
}

func isReparam(d dist.Distribution) bool { _, ok := d.(dist.Reparameterizer); return ok }

// replaySite returns the latent site name of the replay trace, failing if it
// is missing or has the wrong shape.
func (t *Tracer) replaySite(name string, n, dim int) *Site {
	src := t.replay.Site(name)
	if src == nil || src.Kind != Latent {
		if t.guide {
			fail(ErrStructure, "guide site %q was not in the run it replays", name)
		}
		fail(ErrMissingLatent, "model samples %q", name)
	}
	if r, c := src.Value.Dims(); r != n || c != dim {
		fail(ErrShape, "site %q: the guide's value is %d×%d, the model's distribution wants %d×%d", name, r, c, n, dim)
	}
	return src
}

// Observe scores the observed value x of site name under d. x has one row
// (shared by every particle), d.Len() rows, or, inside a plate, one row per
// visited member (repeated for every particle). The name must differ from
// every other site's.
func (t *Tracer) Observe(name string, d dist.Differentiable, x *ad.Var) {
	if t.guide {
		fail(ErrUnmatchedGuideSite, "guide observes %q; only models observe", name)
	}
	if x == nil {
		fail(ErrShape, "observed site %q has a nil value", name)
	}
	n := t.rows()
	dim := t.checkDist(name, d, n)
	if x.C != dim {
		fail(ErrShape, "observed site %q has %d columns, its distribution has Dim %d", name, x.C, dim)
	}
	s := &Site{Name: name, Kind: Observed, Dist: d, Plate: t.plate}
	guard(name, func() {
		switch l := d.Len(); {
		case x.R == l || x.R == 1 && l == 1:
		case x.R == 1:
			x = ad.Tile(x, l)
		case t.plate != nil && x.R == t.plate.B() && l == n:
			x = ad.Tile(x, t.trace.K)
		case l == 1 && t.plate != nil && x.R == t.plate.B():
		default:
			fail(ErrShape, "observed site %q has %d rows; want 1, %d (%s) or the distribution's batch of %d", name, x.R, n, t.rowsName(), l)
		}
		s.Value = x
		s.LogProb = d.LogProbVar(x)
		if s.Plate != nil && s.LogProb.R != n {
			// One row per member, shared by the particles.
			s.LogProb = ad.Tile(s.LogProb, n/s.LogProb.R)
		}
	})
	t.add(s)
}

// Factor adds the log-density term lp (K×1, K·B×1 in a plate, or 1×1) to
// the model under the name name, as Pyro's factor: an unnormalised
// potential such as a penalty or a likelihood written by hand.
func (t *Tracer) Factor(name string, lp *ad.Var) {
	if t.guide {
		fail(ErrUnmatchedGuideSite, "guide adds factor %q; only models do", name)
	}
	if n := t.rows(); lp == nil || lp.C != 1 || (lp.R != 1 && lp.R != n) {
		fail(ErrShape, "factor %q must be 1×1 or %d×1", name, n)
	}
	t.add(&Site{Name: name, Kind: Observed, Value: lp, LogProb: lp, Plate: t.plate})
}

// Scale runs body with the log-densities of the sites it visits multiplied
// by s in the objective, as Pyro's poutine.scale: a KL weight β on the
// latent sites of a VAE (in both model and guide), or a tempered
// likelihood. The score-function terms of discrete sites keep the unscaled
// log-density of their sampling distribution. Scales nest by
// multiplication. It fails with ErrShape unless s is finite and
// non-negative.
func (t *Tracer) Scale(s float64, body func()) {
	if !(s >= 0) || math.IsInf(s, 0) {
		fail(ErrShape, "scale %v is not a finite non-negative number", s)
	}
	old := t.scale
	t.scale *= s
	defer func() { t.scale = old }()
	body()
}

// run calls f with the tracer and returns its trace, turning misuse, shape
// errors of package ad and panics in user code into errors.
func (t *Tracer) run(f func(*Tracer, *ad.Var), x *ad.Var) (tr *Trace, err error) {
	defer func() {
		if r := recover(); r != nil {
			tr, err = nil, t.recovered(r)
		}
	}()
	t.trace.x = x
	f(t, x)
	return t.trace, nil
}

// recovered turns a recovered panic value into an error.
func (t *Tracer) recovered(r any) error {
	where := "before its first site"
	if t.last != "" {
		where = fmt.Sprintf("after site %q", t.last)
	}
	who := "model"
	if t.guide {
		who = "guide"
	}
	switch r := r.(type) {
	case siteError:
		return r.err
	case *ad.ShapeError:
		return fmt.Errorf("%w: %s, %s: %v", ErrShape, who, where, r)
	}
	return fmt.Errorf("%w: %s, %s: %v", ErrPanic, who, where, r)
}

// Classes returns the values of a single-column discrete site (a
// Categorical's classes) as indices, for gathering rows with ad.Rows. It
// fails with ErrShape for a value with more than one column or a value that
// is not a non-negative integer.
func Classes(v *ad.Var) []int {
	if v.C != 1 {
		fail(ErrShape, "Classes of a %d×%d value, want one column", v.R, v.C)
	}
	out := make([]int, v.R)
	for i, c := range v.Data {
		if c < 0 || c != float64(int(c)) {
			fail(ErrShape, "Classes: value %v is not a class index", c)
		}
		out[i] = int(c)
	}
	return out
}
