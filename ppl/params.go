package ppl

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/safetensors"
)

// ParamStore holds named parameters, each a matrix registered once (by
// Tracer.Param or Set) and shared by every run of a model and guide. Its
// methods are safe for concurrent use; the matrices it returns are shared,
// and nothing may write to them while a model or guide is being run.
//
// The zero value is not ready to use; call NewParamStore.
type ParamStore struct {
	mu     sync.Mutex
	params map[string]*mat.Dense
	order  []string
}

// NewParamStore returns an empty store.
func NewParamStore() *ParamStore {
	return &ParamStore{params: map[string]*mat.Dense{}}
}

func (s *ParamStore) getOrInit(name string, init *mat.Dense) (*mat.Dense, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.params[name]; ok {
		if init != nil {
			if r, c := init.Dims(); !sameDims(p, r, c) {
				pr, pc := p.Dims()
				return nil, fmt.Errorf("%w: parameter %q is stored as %d×%d, initialised as %d×%d", ErrShape, name, pr, pc, r, c)
			}
		}
		return p, nil
	}
	if init == nil || init.IsEmpty() {
		return nil, fmt.Errorf("%w: parameter %q is not in the store and has no initial value", ErrShape, name)
	}
	p := mat.DenseCopyOf(init)
	s.params[name] = p
	s.order = append(s.order, name)
	return p, nil
}

func sameDims(p *mat.Dense, r, c int) bool {
	pr, pc := p.Dims()
	return pr == r && pc == c
}

// Get returns the parameter name, or nil if it is not registered. The matrix
// is the stored one.
func (s *ParamStore) Get(name string) *mat.Dense {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.params[name]
}

// Set registers or replaces the parameter name with a copy of v.
func (s *ParamStore) Set(name string, v mat.Matrix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.params[name]; ok {
		r, c := v.Dims()
		if sameDims(p, r, c) {
			p.Copy(v)
			return
		}
	} else {
		s.order = append(s.order, name)
	}
	s.params[name] = mat.DenseCopyOf(v)
}

// Clone returns a deep copy of the store.
func (s *ParamStore) Clone() *ParamStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &ParamStore{params: make(map[string]*mat.Dense, len(s.params)), order: slices.Clone(s.order)}
	for n, p := range s.params {
		c.params[n] = mat.DenseCopyOf(p)
	}
	return c
}

// Names returns the parameter names in registration order.
func (s *ParamStore) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// Save writes the parameters to a safetensors file at path (atomically), one
// F64 tensor of shape [rows, cols] per parameter, with the registration order
// in the metadata.
func (s *ParamStore) Save(path string) error {
	s.mu.Lock()
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{}}
	for i, name := range s.order {
		p := s.params[name]
		r, c := p.Dims()
		f.Tensors[name] = safetensors.FromFloat64([]int{r, c}, mat.DenseCopyOf(p).RawMatrix().Data)
		f.Metadata["ppl.order."+strconv.Itoa(i)] = name
	}
	s.mu.Unlock()
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("ppl: saving parameters: %w", err)
	}
	return nil
}

// Load reads a safetensors file written by Save (or by PyTorch: any
// floating-point tensor of rank 1 or 2) and sets every tensor in it as a
// parameter, replacing parameters of the same name. Rank-1 tensors become
// 1×n rows. It returns an error naming the file and tensor for a tensor that
// is not floating-point, has rank 0 or above 2, or has a different shape from
// a parameter already registered under its name; in that case the store is
// unchanged.
func (s *ParamStore) Load(path string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ppl: loading parameters: %w", err)
	}
	names := f.Names()
	// Registration order from Save's metadata, then any other tensors in
	// lexical order.
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
	for _, n := range names {
		if !seen[n] {
			ordered = append(ordered, n)
		}
	}
	vals := make(map[string]*mat.Dense, len(names))
	for _, n := range ordered {
		t := f.Tensors[n]
		data, err := t.Float64s()
		if err != nil {
			return fmt.Errorf("ppl: loading parameters from %s: tensor %q: %w", path, n, err)
		}
		var r, c int
		switch len(t.Shape) {
		case 1:
			r, c = 1, t.Shape[0]
		case 2:
			r, c = t.Shape[0], t.Shape[1]
		default:
			return fmt.Errorf("ppl: loading parameters from %s: tensor %q has shape %v, want rank 1 or 2", path, n, t.Shape)
		}
		if r == 0 || c == 0 {
			return fmt.Errorf("ppl: loading parameters from %s: tensor %q is empty", path, n)
		}
		if p := s.Get(n); p != nil && !sameDims(p, r, c) {
			pr, pc := p.Dims()
			return fmt.Errorf("%w: loading parameters from %s: tensor %q is %d×%d, the parameter is %d×%d", ErrShape, path, n, r, c, pr, pc)
		}
		vals[n] = mat.NewDense(r, c, data)
	}
	for _, n := range ordered {
		s.Set(n, vals[n])
	}
	return nil
}
