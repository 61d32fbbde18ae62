package checkpoint

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/safetensors"
)

// Model is a model that a checkpoint holds: *amortized.VAE or
// *amortized.AE.
type Model interface {
	// Params returns the parameters by PyTorch name.
	Params() map[string]amortized.Tensor
}

// SaveVAE writes v to path as a safetensors file (see the package
// documentation), atomically.
func SaveVAE(path string, v *amortized.VAE) error { return Save(path, v, nil) }

// SaveAE writes a to path as a safetensors file (see the package
// documentation), atomically.
func SaveAE(path string, a *amortized.AE) error { return Save(path, a, nil) }

// Save writes m, a *amortized.VAE or *amortized.AE, to path as a
// safetensors file with the architecture and the extra strings in its
// metadata, atomically. It returns an error if an extra key is one of the
// architecture's or the file cannot be written, and panics if m is of
// another type.
func Save(path string, m Model, extra map[string]string) error {
	meta := architecture(m)
	for k, v := range extra {
		if _, ok := meta[k]; ok {
			return fmt.Errorf("checkpoint: %s: extra metadata key %q is reserved for the architecture", path, k)
		}
		meta[k] = v
	}
	f := &safetensors.File{Metadata: meta, Tensors: make(map[string]safetensors.Tensor)}
	for name, t := range m.Params() {
		f.Tensors[name] = safetensors.FromFloat32(t.Shape, t.Data)
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// architecture returns the metadata of m's configuration.
func architecture(m Model) map[string]string {
	switch m := m.(type) {
	case *amortized.VAE:
		return m.Config.Metadata()
	case *amortized.AE:
		return m.Config.Metadata()
	}
	panic(fmt.Sprintf("checkpoint: cannot save a %T (want *amortized.VAE or *amortized.AE)", m))
}

// Load reads the model in the safetensors file at path: a *amortized.VAE
// or a *amortized.AE, as its metadata says. It returns an error naming the
// file and the problem if the file cannot be read, its metadata does not
// describe a model, or a tensor is missing, unexpected, of the wrong shape
// or not floating-point.
func Load(path string) (Model, error) {
	m, _, err := LoadWithMetadata(path)
	return m, err
}

// LoadWithMetadata is Load that also returns the file's whole metadata
// map, architecture and extra keys alike.
func LoadWithMetadata(path string) (Model, map[string]string, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, err := fromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return m, f.Metadata, nil
}

// LoadVAE reads a VAE saved by SaveVAE (or written by PyTorch with the same
// names and metadata). It returns an error if the file holds another model;
// see Load.
func LoadVAE(path string) (*amortized.VAE, error) {
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	v, ok := m.(*amortized.VAE)
	if !ok {
		return nil, fmt.Errorf("checkpoint: %s: not a VAE checkpoint (metadata %s = %q)", path, amortized.MetaModel, kindOf(m))
	}
	return v, nil
}

// LoadAE reads an autoencoder saved by SaveAE (or written by PyTorch with
// the same names and metadata). It returns an error if the file holds
// another model; see Load.
func LoadAE(path string) (*amortized.AE, error) {
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	a, ok := m.(*amortized.AE)
	if !ok {
		return nil, fmt.Errorf("checkpoint: %s: not an autoencoder checkpoint (metadata %s = %q)", path, amortized.MetaModel, kindOf(m))
	}
	return a, nil
}

// kindOf returns "vae" or "ae".
func kindOf(m Model) string { return architecture(m)[amortized.MetaModel] }

// fromFile builds the model that f describes. The names and shapes that
// the metadata's architecture calls for are checked against the file's
// tensors before the model is allocated, so that metadata describing a huge
// model cannot make a small file allocate it; the weights must be finite.
func fromFile(f *safetensors.File) (Model, error) {
	meta := f.Metadata
	if len(meta) == 0 {
		return nil, fmt.Errorf("no __metadata__: a model checkpoint describes its architecture there (%s, %s, %s, %s, %s, …)",
			amortized.MetaModel, amortized.MetaDataDim, amortized.MetaLatent, amortized.MetaHidden, amortized.MetaActivation)
	}
	meta = completeMetadata(meta, f.Tensors)
	var (
		newModel func(map[string]amortized.Tensor) (Model, error)
		shapes   map[string][]int
	)
	switch meta[amortized.MetaModel] {
	case "vae":
		cfg, err := amortized.ParseVAEConfig(meta)
		if err != nil {
			return nil, metaError(err)
		}
		shapes = paramShapes(cfg.DataDim, cfg.Hidden, cfg.EncoderOutputs(), cfg.Latent)
		maps.Copy(shapes, cfg.FlowParamShapes())
		newModel = func(p map[string]amortized.Tensor) (Model, error) { return amortized.NewVAEFromParams(cfg, p) }
	case "ae":
		cfg, err := amortized.ParseAEConfig(meta)
		if err != nil {
			return nil, metaError(err)
		}
		shapes = paramShapes(cfg.DataDim, cfg.Hidden, cfg.Code, cfg.Code)
		newModel = func(p map[string]amortized.Tensor) (Model, error) { return amortized.NewAEFromParams(cfg, p) }
	case "":
		return nil, fmt.Errorf("metadata has no %q key (want \"vae\" or \"ae\"), and neither %q nor %q to infer it from",
			amortized.MetaModel, amortized.MetaLikelihood, amortized.MetaLoss)
	default:
		return nil, fmt.Errorf("metadata %s = %q, want \"vae\" or \"ae\"", amortized.MetaModel, meta[amortized.MetaModel])
	}
	names := slices.Sorted(maps.Keys(shapes))
	data := make(map[string][]float32, len(names))
	for _, name := range names {
		t, ok := f.Tensors[name]
		if !ok {
			return nil, fmt.Errorf("missing tensor %q (the metadata's architecture, hidden = %q, needs %s)",
				name, meta[amortized.MetaHidden], strings.Join(names, ", "))
		}
		if !slices.Equal(t.Shape, shapes[name]) {
			return nil, fmt.Errorf("tensor %q has shape %v, want %v for the metadata's architecture", name, t.Shape, shapes[name])
		}
		v, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("tensor %q: element %d is %v: the weights must be finite (was the model saved after training diverged?)", name, i, x)
			}
		}
		data[name] = v
	}
	for _, name := range f.Names() {
		if _, ok := shapes[name]; !ok {
			return nil, fmt.Errorf("unexpected tensor %q: the metadata's architecture (hidden = %q) has only %s",
				name, meta[amortized.MetaHidden], strings.Join(names, ", "))
		}
	}
	// Every parameter is now backed by a tensor of the file: the model is
	// no larger than the file.
	params := make(map[string]amortized.Tensor, len(data))
	for name, v := range data {
		params[name] = amortized.Tensor{Shape: shapes[name], Data: v}
	}
	m, err := newModel(params)
	if err != nil {
		return nil, metaError(err)
	}
	return m, nil
}

// paramShapes returns the PyTorch names and shapes of the parameters of an
// encoder with layer sizes dataDim, hidden…, encOut and a decoder with
// sizes decIn, hidden reversed…, dataDim (see amortized.Networks.Params).
func paramShapes(dataDim int, hidden []int, encOut, decIn int) map[string][]int {
	enc := append(append([]int{dataDim}, hidden...), encOut)
	dec := []int{decIn}
	for i := len(hidden) - 1; i >= 0; i-- {
		dec = append(dec, hidden[i])
	}
	dec = append(dec, dataDim)
	out := make(map[string][]int)
	for prefix, sizes := range map[string][]int{"encoder": enc, "decoder": dec} {
		for i := 0; i+1 < len(sizes); i++ {
			out[fmt.Sprintf("%s.%d.weight", prefix, 2*i)] = []int{sizes[i+1], sizes[i]}
			out[fmt.Sprintf("%s.%d.bias", prefix, 2*i)] = []int{sizes[i+1]}
		}
	}
	return out
}

// completeMetadata returns meta with the two keys that a PyTorch-written
// checkpoint may leave out filled in from what the file implies: the model
// kind ("vae" when a likelihood is named, "ae" when a loss is) and the data
// dimension (the input width of encoder.0.weight, shape [out, in]). The
// issue's minimal VAE metadata is latent, hidden, activation and likelihood.
// Keys that are present are kept as they are, and meta is not modified.
func completeMetadata(meta map[string]string, tensors map[string]safetensors.Tensor) map[string]string {
	out := maps.Clone(meta)
	if out[amortized.MetaModel] == "" {
		switch {
		case out[amortized.MetaLikelihood] != "":
			out[amortized.MetaModel] = "vae"
		case out[amortized.MetaLoss] != "":
			out[amortized.MetaModel] = "ae"
		}
	}
	if out[amortized.MetaDataDim] == "" {
		if w, ok := tensors["encoder.0.weight"]; ok && len(w.Shape) == 2 {
			out[amortized.MetaDataDim] = strconv.Itoa(w.Shape[1])
		}
	}
	return out
}

// metaError strips the package prefix of an amortized metadata error.
func metaError(err error) error {
	return fmt.Errorf("architecture metadata: %s", strings.TrimPrefix(err.Error(), "amortized: "))
}
