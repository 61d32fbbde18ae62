package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// Model is a generative model p(x, z) written as a function: it draws its
// latent sites with t.Sample and scores the data point x with t.Observe.
// A Model must be deterministic given the tracer (all randomness comes through
// t.Sample) and must treat the K particles (rows) independently.
type Model func(t *Tracer, x []float64)

// Guide is a variational family q(z|x) written as a function: it draws every
// latent site of its model, under the same names, with t.Sample.
type Guide func(t *Tracer, x []float64)

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
	Dist dist.Distribution
	// Value is K×Dim for latent and auxiliary sites, 1×Dim for observed ones.
	Value *mat.Dense
	// LogProb holds the per-particle log-density, length K.
	LogProb []float64
	// Eps is the standard-normal noise of a reparameterised draw, nil for
	// discrete, replayed and observed sites.
	Eps *mat.Dense
	// Reparam reports whether Dist is a dist.Reparameterizer.
	Reparam bool
	// Plate and Member name the plate member the site belongs to (Plate
	// is "" outside plates), and Scale is the factor n/b by which LogProb
	// was multiplied when b of the plate's n members are visited (1
	// otherwise).
	Plate  string
	Member int
	Scale  float64
}

// group returns the name of the plate member the site belongs to,
// "plate[i]", or "" outside plates.
func (s *Site) group() string {
	if s.Plate == "" {
		return ""
	}
	return memberName(s.Plate, s.Member)
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
	// Plates maps each plate opened by the run to the members it visited,
	// in increasing order.
	Plates map[string]PlateMembers
	index  map[string]int
}

// PlateMembers records the members of a plate that one run visited.
type PlateMembers struct {
	// N is the plate's size, Visited the members visited (all N, or a
	// subsample), in increasing order.
	N       int
	Visited []int
}

// Site returns the site with the given name, or nil.
func (tr *Trace) Site(name string) *Site {
	if i, ok := tr.index[name]; ok {
		return tr.Sites[i]
	}
	return nil
}

// LogProb stores in dst[k] the sum over sites of the log-densities of
// particle k and returns dst (allocated if nil). Kinds selects the sites
// counted; none means all.
func (tr *Trace) LogProb(dst []float64, kinds ...SiteKind) []float64 {
	if dst == nil {
		dst = make([]float64, tr.K)
	}
	if len(dst) != tr.K {
		panic(fmt.Sprintf("ppl: Trace.LogProb: len(dst) = %d, want %d", len(dst), tr.K))
	}
	clear(dst)
	for _, s := range tr.Sites {
		if len(kinds) > 0 && !hasKind(kinds, s.Kind) {
			continue
		}
		for k, v := range s.LogProb {
			dst[k] += v
		}
	}
	return dst
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
	// ErrShape: a value or distribution has the wrong shape for its site.
	ErrShape = errors.New("ppl: shape mismatch")
	// ErrNotReparameterizable: the gradient estimator needs a
	// reparameterisable site.
	ErrNotReparameterizable = errors.New("ppl: site is not reparameterisable")
	// ErrStructure: the structure of a run is inconsistent: a re-run of a
	// function visited other sites than the run it replays, a plate opened
	// inside another, or a subsampled plate the model does not open.
	ErrStructure = errors.New("ppl: inconsistent structure")
	// ErrNotEnumerable: enumeration was asked for a discrete guide site
	// whose distribution is not a dist.Enumerator, or whose combinations
	// are too many.
	ErrNotEnumerable = errors.New("ppl: site cannot be enumerated")
)

// siteError carries a misuse error out of user code by panic; the runners
// recover it and return the error.
type siteError struct{ err error }

// mode is how a Tracer treats latent sites.
type mode int

const (
	// modeSample draws fresh values from rnd.
	modeSample mode = iota
	// modeReplay copies values from the replay trace (the model on the
	// guide's values, or a guide re-scored at other parameters).
	modeReplay
	// modeNoise re-draws with the replay trace's noise: reparameterised
	// sites transform its ε, discrete sites copy its values.
	modeNoise
)

// Tracer is the handle a Model or Guide receives: it draws, replays and
// scores sites and records them in a Trace. A Tracer is used by one goroutine.
type Tracer struct {
	mode   mode
	rnd    *rand.Rand
	store  *ParamStore
	replay *Trace
	trace  *Trace
	guide  bool
	// used counts replayed latent sites, to find guide sites the model lacks.
	used int
	// flat, when not nil, supplies the latent values when a model is run on
	// a concatenated latent matrix (see AsModel).
	flat *flatSource
	// enum, when not nil, sets the values of discrete sites drawn in
	// modeSample to the combinations it enumerates.
	enum *enumPlan
	// subsample is the number of members a plate visits when the tracer
	// draws them (0: all), and member the plate member being run, if any.
	subsample int
	member    *plateMember
}

// flatSource supplies latent values as column blocks of a matrix.
type flatSource struct {
	z      *mat.Dense
	layout []slot
}

func newTracer(k int, m mode, rnd *rand.Rand, store *ParamStore, replay *Trace) *Tracer {
	return &Tracer{
		mode:   m,
		rnd:    rnd,
		store:  store,
		replay: replay,
		trace:  &Trace{K: k, index: map[string]int{}, Plates: map[string]PlateMembers{}},
	}
}

// Particles returns K, the number of particles (rows) of every latent value.
func (t *Tracer) Particles() int { return t.trace.K }

// fail aborts the running function with a misuse error.
func fail(err error, format string, args ...any) {
	panic(siteError{fmt.Errorf("%w: "+format, append([]any{err}, args...)...)})
}

// add records site s, tagging and scaling it when it is in a plate.
func (t *Tracer) add(s *Site) {
	s.Scale = 1
	if m := t.member; m != nil {
		s.Plate, s.Member, s.Scale = m.plate, m.i, m.scale
		if m.scale != 1 {
			for i := range s.LogProb {
				s.LogProb[i] *= m.scale
			}
		}
	}
	if _, dup := t.trace.index[s.Name]; dup {
		fail(ErrDuplicateSite, "site %q", s.Name)
	}
	t.trace.index[s.Name] = len(t.trace.Sites)
	t.trace.Sites = append(t.trace.Sites, s)
}

// checkDist checks that d can score K rows and returns its Dim.
func (t *Tracer) checkDist(name string, d dist.Distribution) int {
	if d == nil {
		fail(ErrShape, "site %q has a nil distribution", name)
	}
	if n := d.Len(); n != 1 && n != t.trace.K {
		fail(ErrShape, "site %q: distribution has Len() = %d, want 1 or K = %d", name, n, t.trace.K)
	}
	return d.Dim()
}

// Sample draws the latent site name from d and returns its K×Dim value,
// row k for particle k. In a model replayed on a guide's trace it returns the
// guide's value instead (and scores it under d). The returned matrix belongs
// to the trace: read it, do not modify it.
func (t *Tracer) Sample(name string, d dist.Distribution) *mat.Dense {
	name = t.qualify(name)
	dim := t.checkDist(name, d)
	k := t.trace.K
	s := &Site{Name: name, Kind: Latent, Dist: d}
	_, s.Reparam = d.(dist.Reparameterizer)
	switch {
	case t.flat != nil:
		s.Value = t.flat.value(name, dim)
	case t.mode == modeSample:
		s.Value = mat.NewDense(k, dim, nil)
		if r, ok := d.(dist.Reparameterizer); ok {
			s.Eps = mat.NewDense(k, dim, nil)
			r.RSample(s.Value, s.Eps, t.rnd)
		} else if t.enum != nil {
			t.enum.fill(s.Value, name, d)
		} else {
			d.Sample(s.Value, t.rnd)
		}
	default:
		src := t.replaySite(name, dim)
		if t.mode == modeNoise && s.Reparam && src.Eps != nil {
			s.Value = mat.NewDense(k, dim, nil)
			s.Eps = src.Eps
			d.(dist.Reparameterizer).Transform(s.Value, src.Eps)
		} else {
			s.Value = src.Value
			s.Eps = src.Eps
		}
	}
	s.LogProb = d.LogProb(nil, s.Value)
	t.add(s)
	return s.Value
}

// replaySite returns the latent site name of the replay trace, failing if it
// is missing or has the wrong shape.
func (t *Tracer) replaySite(name string, dim int) *Site {
	src := t.replay.Site(name)
	if src == nil || src.Kind != Latent {
		if t.guide {
			fail(ErrStructure, "guide site %q was not in the run it replays", name)
		}
		fail(ErrMissingLatent, "model samples %q", name)
	}
	if r, c := src.Value.Dims(); r != t.trace.K || c != dim {
		fail(ErrShape, "site %q: the guide's value is %d×%d, the model's distribution wants %d×%d", name, r, c, t.trace.K, dim)
	}
	t.used++
	return src
}

// Observe scores the observed value x (length Dim) of site name under d, for
// every particle. The name must differ from every other site's.
func (t *Tracer) Observe(name string, d dist.Distribution, x []float64) {
	name = t.qualify(name)
	dim := t.checkDist(name, d)
	if len(x) != dim {
		fail(ErrShape, "observed site %q has %d values, its distribution has Dim %d", name, len(x), dim)
	}
	if t.guide {
		fail(ErrUnmatchedGuideSite, "guide observes %q; only models observe", name)
	}
	k := t.trace.K
	s := &Site{Name: name, Kind: Observed, Dist: d, Value: mat.NewDense(1, dim, append([]float64(nil), x...))}
	if n := d.Len(); n == 1 {
		v := d.LogProb(nil, s.Value)[0]
		s.LogProb = make([]float64, k)
		for i := range s.LogProb {
			s.LogProb[i] = v
		}
	} else {
		rep := mat.NewDense(k, dim, nil)
		for i := range k {
			rep.SetRow(i, x)
		}
		s.LogProb = d.LogProb(nil, rep)
	}
	t.add(s)
}

// Param returns the parameter name from the tracer's ParamStore, registering
// a copy of init under that name on first use. The returned matrix is the
// stored one: read it, do not modify it. It fails with ErrShape if the stored
// parameter's shape differs from init's.
func (t *Tracer) Param(name string, init *mat.Dense) *mat.Dense {
	if t.store == nil {
		fail(ErrShape, "parameter %q: the run has no ParamStore", name)
	}
	p, err := t.store.getOrInit(name, init)
	if err != nil {
		panic(siteError{err})
	}
	for _, n := range t.trace.Params {
		if n == name {
			return p
		}
	}
	t.trace.Params = append(t.trace.Params, name)
	return p
}

// run calls f with the tracer and returns its trace, turning misuse into an
// error.
func (t *Tracer) run(f func(*Tracer, []float64), x []float64) (tr *Trace, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(siteError)
			if !ok {
				panic(r)
			}
			tr, err = nil, se.err
		}
	}()
	f(t, x)
	return t.trace, nil
}

func logOf(v float64) float64 { return math.Log(v) }
