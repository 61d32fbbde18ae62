package ppl

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/safetensors"
)

// Init computes a parameter's initial value, in its constrained space, the
// first time the parameter is read. rnd is a stream derived from the
// store's seed and the parameter's name, so the value does not depend on
// the order in which parameters are first read.
type Init func(rnd *rand.Rand) *mat.Dense

// Zeros initialises an r×c parameter to zeros.
func Zeros(r, c int) Init { return Fill(r, c, 0) }

// Fill initialises an r×c parameter with every element v.
func Fill(r, c int, v float64) Init {
	return func(*rand.Rand) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				m.Set(i, j, v)
			}
		}
		return m
	}
}

// Value initialises a parameter to a copy of m.
func Value(m mat.Matrix) Init {
	return func(*rand.Rand) *mat.Dense { return mat.DenseCopyOf(m) }
}

// Uniform initialises an r×c parameter with independent uniform draws on
// [lo, hi).
func Uniform(r, c int, lo, hi float64) Init {
	return func(rnd *rand.Rand) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				m.Set(i, j, lo+(hi-lo)*rnd.Float64())
			}
		}
		return m
	}
}

// Normal initialises an r×c parameter with independent N(0, std²) draws.
func Normal(r, c int, std float64) Init {
	return func(rnd *rand.Rand) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				m.Set(i, j, std*rnd.NormFloat64())
			}
		}
		return m
	}
}

// ParamStore holds named parameters, each registered once (by Tracer.Param
// or Set) and shared by every run of a model and guide. A constrained
// parameter is stored unconstrained (see Constraint); optimisers update the
// stored values. Its methods are safe for concurrent use; the matrices it
// returns are shared, and nothing may write to them while a model or guide
// is being run.
type ParamStore struct {
	mu     sync.Mutex
	seed   uint64
	params map[string]*storedParam
	order  []string
}

type storedParam struct {
	u *mat.Dense // unconstrained value
	c Constraint // nil: unconstrained
}

// NewParamStore returns an empty store whose initialisers draw from
// streams derived from seed.
func NewParamStore(seed uint64) *ParamStore {
	return &ParamStore{seed: seed, params: map[string]*storedParam{}}
}

// initStream returns the random stream of the initialiser of name.
func (s *ParamStore) initStream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(s.seed, h.Sum64()))
}

// getOrInit returns the stored parameter name, registering it from init on
// first use. It checks that the constraint agrees with the stored one.
func (s *ParamStore) getOrInit(name string, init Init, c Constraint) (*storedParam, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.params[name]; ok {
		if (p.c == nil) != (c == nil) || c != nil && constraintName(c) != constraintName(p.c) {
			return nil, fmt.Errorf("%w: parameter %q is stored %s, read %s", ErrStructure, name, describe(p.c), describe(c))
		}
		return p, nil
	}
	if init == nil {
		return nil, fmt.Errorf("%w: parameter %q is not in the store and has no initialiser", ErrShape, name)
	}
	v := init(s.initStream(name))
	if v == nil || v.IsEmpty() {
		return nil, fmt.Errorf("%w: the initialiser of parameter %q returned no value", ErrShape, name)
	}
	u, err := unconstrain(name, v, c)
	if err != nil {
		return nil, err
	}
	p := &storedParam{u: u, c: c}
	s.params[name] = p
	s.order = append(s.order, name)
	return p, nil
}

// unconstrain returns the unconstrained value of the constrained value v.
func unconstrain(name string, v mat.Matrix, c Constraint) (*mat.Dense, error) {
	if c == nil {
		return mat.DenseCopyOf(v), nil
	}
	u, err := c.Inverse(mat.DenseCopyOf(v))
	if err != nil {
		return nil, fmt.Errorf("ppl: parameter %q: %w", name, err)
	}
	return u, nil
}

// Get returns the value of parameter name in its constrained space (the
// value model code sees), or nil if it is not registered. For an
// unconstrained parameter this is the stored matrix itself.
func (s *ParamStore) Get(name string) *mat.Dense {
	s.mu.Lock()
	p := s.params[name]
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	if p.c == nil {
		return p.u
	}
	return p.c.Forward(ad.FromDense(p.u)).Dense()
}

// Constraint returns the constraint of parameter name, or nil if it is
// unconstrained or not registered.
func (s *ParamStore) Constraint(name string) Constraint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.params[name]; p != nil {
		return p.c
	}
	return nil
}

// Unconstrained returns the stored (unconstrained) value of parameter name,
// the matrix optimisers update, or nil if it is not registered.
func (s *ParamStore) Unconstrained(name string) *mat.Dense {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.params[name]; p != nil {
		return p.u
	}
	return nil
}

// Set registers or replaces the parameter name with value v given in the
// constrained space of c (nil: unconstrained). It returns an error if v is
// outside the constraint's support.
func (s *ParamStore) Set(name string, v mat.Matrix, c Constraint) error {
	u, err := unconstrain(name, v, c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.params[name]; ok {
		if sameDims(p.u, u) {
			p.u.Copy(u)
			p.c = c
			return nil
		}
	} else {
		s.order = append(s.order, name)
	}
	s.params[name] = &storedParam{u: u, c: c}
	return nil
}

func sameDims(a, b mat.Matrix) bool {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	return ar == br && ac == bc
}

// Clone returns a deep copy of the store.
func (s *ParamStore) Clone() *ParamStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &ParamStore{seed: s.seed, params: make(map[string]*storedParam, len(s.params)), order: slices.Clone(s.order)}
	for n, p := range s.params {
		c.params[n] = &storedParam{u: mat.DenseCopyOf(p.u), c: p.c}
	}
	return c
}

// Names returns the parameter names in registration order.
func (s *ParamStore) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// Param returns the parameter name as a Var in its constrained space,
// registering it from init on first use (see Init; init may be nil for a
// parameter already in the store). With a constraint c the store keeps the
// unconstrained value u and Param returns c.Forward(u), so optimisers move
// u freely while the model sees a value in c's support. In a run that is
// differentiated, the gradient is taken with respect to u. Reading the same
// name twice in one run (guide and model included) returns the same Var.
// The value must not be modified.
func (t *Tracer) Param(name string, init Init, c ...Constraint) *ad.Var {
	if len(c) > 1 {
		fail(ErrStructure, "parameter %q: more than one constraint", name)
	}
	var con Constraint
	if len(c) == 1 {
		con = c[0]
	}
	if t.sess == nil || t.sess.store == nil {
		fail(ErrShape, "parameter %q: the run has no ParamStore", name)
	}
	p, err := t.sess.store.getOrInit(name, init, con)
	if err != nil {
		panic(siteError{err})
	}
	if use, ok := t.sess.params[name]; ok {
		t.noteParam(name)
		return use.value
	}
	leaf := ad.FromDense(p.u)
	if t.sess.tape != nil {
		leaf = t.sess.tape.Watch(leaf)
	}
	v := leaf
	if p.c != nil {
		v = p.c.Forward(leaf)
	}
	t.sess.params[name] = &paramUse{leaf: leaf, value: v}
	t.noteParam(name)
	return v
}

// noteParam records that this run read parameter name.
func (t *Tracer) noteParam(name string) {
	if !slices.Contains(t.trace.Params, name) {
		t.trace.Params = append(t.trace.Params, name)
	}
}

// Save writes the parameters to a safetensors file at path (atomically), one
// F64 tensor of shape [rows, cols] per parameter holding its unconstrained
// value, with the registration order and the constraints in the metadata.
func (s *ParamStore) Save(path string) error {
	s.mu.Lock()
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{}}
	for i, name := range s.order {
		p := s.params[name]
		r, c := p.u.Dims()
		f.Tensors[name] = safetensors.FromFloat64([]int{r, c}, mat.DenseCopyOf(p.u).RawMatrix().Data)
		f.Metadata["ppl.order."+strconv.Itoa(i)] = name
		if p.c != nil {
			f.Metadata["ppl.constraint."+name] = constraintName(p.c)
		}
	}
	s.mu.Unlock()
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("ppl: saving parameters: %w", err)
	}
	return nil
}

// Load reads a safetensors file written by Save (or by PyTorch: any
// floating-point tensor of rank 1 or 2) and sets every tensor in it as a
// parameter's unconstrained value, replacing parameters of the same name.
// Rank-1 tensors become 1×n rows. It returns an error naming the file and
// tensor for a tensor that is not floating-point, has rank 0 or above 2, is
// not finite, has a different shape from a parameter already registered
// under its name, or was saved with another constraint; in that case the
// store is unchanged.
func (s *ParamStore) Load(path string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ppl: loading parameters: %w", err)
	}
	ordered := loadOrder(f)
	vals := make(map[string]*mat.Dense, len(ordered))
	for _, n := range ordered {
		v, err := tensorMatrix(f.Tensors[n])
		if err != nil {
			return fmt.Errorf("ppl: loading parameters from %s: tensor %q: %w", path, n, err)
		}
		s.mu.Lock()
		p := s.params[n]
		s.mu.Unlock()
		if p != nil && !sameDims(p.u, v) {
			pr, pc := p.u.Dims()
			r, c := v.Dims()
			return fmt.Errorf("%w: loading parameters from %s: tensor %q is %d×%d, the parameter is %d×%d", ErrShape, path, n, r, c, pr, pc)
		}
		saved := f.Metadata["ppl.constraint."+n]
		if p != nil && saved != "" && p.c != nil && saved != constraintName(p.c) {
			return fmt.Errorf("%w: loading parameters from %s: tensor %q was saved with constraint %s, the parameter has %s", ErrStructure, path, n, saved, constraintName(p.c))
		}
		vals[n] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range ordered {
		if p, ok := s.params[n]; ok {
			p.u.Copy(vals[n])
			continue
		}
		s.params[n] = &storedParam{u: vals[n], c: constraintByName(f.Metadata["ppl.constraint."+n])}
		s.order = append(s.order, n)
	}
	return nil
}

// loadOrder returns the tensor names of f: the registration order from
// Save's metadata, then any other tensors in lexical order.
func loadOrder(f *safetensors.File) []string {
	var ordered []string
	seen := map[string]bool{}
	for i := 0; ; i++ {
		n, ok := f.Metadata["ppl.order."+strconv.Itoa(i)]
		if !ok {
			break
		}
		if _, ok := f.Tensors[n]; ok && !seen[n] {
			ordered = append(ordered, n)
			seen[n] = true
		}
	}
	for _, n := range f.Names() {
		if !seen[n] {
			ordered = append(ordered, n)
		}
	}
	return ordered
}

// tensorMatrix returns a rank-1 or rank-2 floating-point tensor with finite
// values as a matrix.
func tensorMatrix(t safetensors.Tensor) (*mat.Dense, error) {
	data, err := t.Float64s()
	if err != nil {
		return nil, err
	}
	var r, c int
	switch len(t.Shape) {
	case 1:
		r, c = 1, t.Shape[0]
	case 2:
		r, c = t.Shape[0], t.Shape[1]
	default:
		return nil, fmt.Errorf("shape %v, want rank 1 or 2", t.Shape)
	}
	if r == 0 || c == 0 {
		return nil, fmt.Errorf("empty tensor")
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("element %d is %v", i, v)
		}
	}
	return mat.NewDense(r, c, data), nil
}

func describe(c Constraint) string {
	if c == nil {
		return "unconstrained"
	}
	return "with constraint " + constraintName(c)
}
