package checkpoint

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/internal/atomicfile"
	"github.com/vitool/vitool/safetensors"
	"github.com/vitool/vitool/vi"
)

// File names in a run directory.
const (
	// ModelFile holds the model: a PyTorch state_dict with the
	// architecture in its metadata.
	ModelFile = "model.safetensors"
	// StateFile holds the training state: optimiser moments, position,
	// configuration.
	StateFile = "train_state.safetensors"
	// PendingStateFile holds, during SaveRun, the new training state until
	// the model file has been replaced too; LoadRun completes a save that
	// was cut short between the two files.
	PendingStateFile = "train_state.pending.safetensors"
)

// Metadata keys of a training-state file, besides those of
// amortized.TrainConfig.Metadata. The model file of a run repeats the
// position under MetaTrainEpoch, MetaTrainStep and MetaTrainAdamStep.
const (
	MetaFormat        = "format" // StateFormat
	MetaVersion       = "version"
	MetaEpoch         = "epoch"
	MetaStep          = "step"
	MetaExamples      = "examples"
	MetaLossSum       = "loss_sum"
	MetaBoundSum      = "bound_sum"
	MetaGradNormSum   = "grad_norm_sum"
	MetaAdamStep      = "adam_step"
	MetaTrainEpoch    = "train_epoch"
	MetaTrainStep     = "train_step"
	MetaTrainAdamStep = "train_adam_step"

	// StateFormat is the value of MetaFormat in a training-state file.
	StateFormat = "vitool-train-state"
	// stateVersion is the version of the layout this package writes.
	stateVersion = "1"
	// extraPrefix marks the caller's extra metadata keys.
	extraPrefix = "extra."
)

// TrainState is the content of a training-state file: what resuming a run
// needs besides the model weights.
type TrainState struct {
	// Config is the training configuration, defaults filled in.
	Config amortized.TrainConfig
	// State is the trainer's position, running sums and optimiser state;
	// State.Adam.M[i] and V[i] belong to the parameter Names[i].
	State amortized.TrainerState
	// Names are the parameter names, in the order of State.Adam.
	Names []string
	// Extra holds the caller's own strings.
	Extra map[string]string
}

// SaveTrainState writes the state of tr (configuration, position, Adam
// moments) with the extra strings to path, atomically.
func SaveTrainState(path string, tr *amortized.Trainer, extra map[string]string) error {
	st := tr.State()
	names := tr.ParamNames()
	f := &safetensors.File{Metadata: tr.Config().Metadata(), Tensors: make(map[string]safetensors.Tensor)}
	fl := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for k, v := range map[string]string{
		MetaFormat:      StateFormat,
		MetaVersion:     stateVersion,
		MetaEpoch:       strconv.Itoa(st.Epoch),
		MetaStep:        strconv.Itoa(st.Step),
		MetaExamples:    strconv.Itoa(st.Examples),
		MetaLossSum:     fl(st.LossSum),
		MetaBoundSum:    fl(st.BoundSum),
		MetaGradNormSum: fl(st.GradNormSum),
		MetaAdamStep:    strconv.Itoa(st.Adam.Step),
	} {
		f.Metadata[k] = v
	}
	for k, v := range extra {
		f.Metadata[extraPrefix+k] = v
	}
	for i, name := range names {
		f.Tensors["exp_avg."+name] = safetensors.FromFloat32([]int{len(st.Adam.M[i])}, st.Adam.M[i])
		f.Tensors["exp_avg_sq."+name] = safetensors.FromFloat32([]int{len(st.Adam.V[i])}, st.Adam.V[i])
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// LoadTrainState reads a training-state file written by SaveTrainState. It
// returns an error naming the file and the problem if it cannot be read or
// is not a training-state file.
func LoadTrainState(path string) (*TrainState, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	s, err := parseState(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return s, nil
}

func parseState(f *safetensors.File) (*TrainState, error) {
	meta := f.Metadata
	if meta[MetaFormat] != StateFormat {
		return nil, fmt.Errorf("not a training-state file (metadata %s = %q, want %q)", MetaFormat, meta[MetaFormat], StateFormat)
	}
	if meta[MetaVersion] != stateVersion {
		return nil, fmt.Errorf("training-state version %q, this vitool reads version %s", meta[MetaVersion], stateVersion)
	}
	cfg, err := amortized.ParseTrainConfig(meta)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "amortized: "))
	}
	s := &TrainState{Config: cfg, Extra: make(map[string]string)}
	integer := func(key string) int {
		v, e := strconv.Atoi(meta[key])
		if e != nil || v < 0 {
			err = errors.Join(err, fmt.Errorf("metadata %s = %q, want a non-negative integer", key, meta[key]))
		}
		return v
	}
	float := func(key string) float64 {
		v, e := strconv.ParseFloat(meta[key], 64)
		if e != nil {
			err = errors.Join(err, fmt.Errorf("metadata %s = %q, want a number", key, meta[key]))
		}
		return v
	}
	s.State.Epoch = integer(MetaEpoch)
	s.State.Step = integer(MetaStep)
	s.State.Examples = integer(MetaExamples)
	s.State.Adam.Step = integer(MetaAdamStep)
	s.State.LossSum = float(MetaLossSum)
	s.State.BoundSum = float(MetaBoundSum)
	s.State.GradNormSum = float(MetaGradNormSum)
	if err != nil {
		return nil, err
	}
	for k, v := range meta {
		if e, ok := strings.CutPrefix(k, extraPrefix); ok {
			s.Extra[e] = v
		}
	}
	for _, name := range f.Names() {
		p, ok := strings.CutPrefix(name, "exp_avg.")
		if !ok {
			if _, sq := strings.CutPrefix(name, "exp_avg_sq."); !sq {
				return nil, fmt.Errorf("unexpected tensor %q (want exp_avg.NAME and exp_avg_sq.NAME)", name)
			}
			continue
		}
		m, err := f.Tensors[name].Float32s()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		vt, ok := f.Tensors["exp_avg_sq."+p]
		if !ok {
			return nil, fmt.Errorf("tensor %q has no matching %q", name, "exp_avg_sq."+p)
		}
		v, err := vt.Float32s()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", "exp_avg_sq."+p, err)
		}
		s.Names = append(s.Names, p)
		s.State.Adam.M = append(s.State.Adam.M, m)
		s.State.Adam.V = append(s.State.Adam.V, v)
	}
	if 2*len(s.Names) != len(f.Tensors) {
		return nil, fmt.Errorf("%d exp_avg tensors but %d tensors in all: every exp_avg_sq.NAME needs its exp_avg.NAME", len(s.Names), len(f.Tensors))
	}
	return s, nil
}

// Restore sets tr's state to s, matching the optimiser moments to tr's
// parameters by name. It returns an error if tr's configuration differs
// from s.Config, a parameter is missing or has another size, or the state
// is inconsistent.
func (s *TrainState) Restore(tr *amortized.Trainer) error {
	have, want := s.Config.Metadata(), tr.Config().Metadata()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if have[k] != want[k] {
			return fmt.Errorf("checkpoint: the trainer's %s is %s but the saved state's is %s", k, want[k], have[k])
		}
	}
	names := tr.ParamNames()
	idx := make(map[string]int, len(s.Names))
	for i, n := range s.Names {
		idx[n] = i
	}
	if len(names) != len(s.Names) {
		return fmt.Errorf("checkpoint: the saved state has moments for %d parameters, the trainer has %d", len(s.Names), len(names))
	}
	st := s.State
	st.Adam = vi.AdamState[float32]{Step: s.State.Adam.Step}
	for _, n := range names {
		i, ok := idx[n]
		if !ok {
			return fmt.Errorf("checkpoint: the saved state has no moments for parameter %q", n)
		}
		st.Adam.M = append(st.Adam.M, s.State.Adam.M[i])
		st.Adam.V = append(st.Adam.V, s.State.Adam.V[i])
	}
	if err := tr.SetState(st); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// SaveRun writes a run directory as one unit: the training state of tr goes
// to dir/PendingStateFile, then m to dir/ModelFile with the position in its
// metadata, and finally PendingStateFile is renamed to StateFile, each step
// atomic. Whenever the process is killed, the directory holds a consistent
// pair — ModelFile with StateFile or with PendingStateFile — which LoadRun
// finds. extra goes into the state file; modelExtra, which may be nil, into
// the model file. Temporary files left by a save that was killed are
// removed first.
func SaveRun(dir string, m Model, tr *amortized.Trainer, extra, modelExtra map[string]string) error {
	for _, name := range []string{ModelFile, StateFile, PendingStateFile} {
		if _, err := atomicfile.CleanStale(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	pending := filepath.Join(dir, PendingStateFile)
	if err := SaveTrainState(pending, tr, extra); err != nil {
		return err
	}
	meta := maps.Clone(modelExtra)
	if meta == nil {
		meta = make(map[string]string)
	}
	meta[MetaTrainEpoch] = strconv.Itoa(tr.Epoch())
	meta[MetaTrainStep] = strconv.Itoa(tr.Step())
	meta[MetaTrainAdamStep] = strconv.Itoa(tr.Optimizer().Steps())
	if err := Save(filepath.Join(dir, ModelFile), m, meta); err != nil {
		return err
	}
	if err := os.Rename(pending, filepath.Join(dir, StateFile)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Run is a run directory as LoadRun reads it.
type Run struct {
	Model Model
	// ModelMetadata is the model file's whole metadata.
	ModelMetadata map[string]string
	State         *TrainState
}

// LoadRun reads the model and the training state of a run directory
// written by SaveRun. If a save was cut short, LoadRun completes it: a
// PendingStateFile from the same moment as the model replaces StateFile,
// and one from another moment (the model file was not yet replaced) is
// removed. It returns an error if a file is missing or invalid, or if no
// state file comes from the same moment of training as the model.
func LoadRun(dir string) (*Run, error) {
	m, meta, err := LoadWithMetadata(filepath.Join(dir, ModelFile))
	if err != nil {
		return nil, err
	}
	pos := func(e, st, a string) string { return fmt.Sprintf("epoch %s, step %s, Adam step %s", e, st, a) }
	mp := pos(meta[MetaTrainEpoch], meta[MetaTrainStep], meta[MetaTrainAdamStep])
	statePos := func(s *TrainState) string {
		return pos(strconv.Itoa(s.State.Epoch), strconv.Itoa(s.State.Step), strconv.Itoa(s.State.Adam.Step))
	}
	statePath, pendingPath := filepath.Join(dir, StateFile), filepath.Join(dir, PendingStateFile)
	var s *TrainState
	if _, err := os.Stat(pendingPath); err == nil {
		if ps, perr := LoadTrainState(pendingPath); perr == nil && statePos(ps) == mp {
			// The save wrote both files but not the rename.
			if err := os.Rename(pendingPath, statePath); err != nil {
				return nil, fmt.Errorf("checkpoint: completing an interrupted save: %w", err)
			}
			s = ps
		} else if err := os.Remove(pendingPath); err != nil {
			// The save stopped before the model file: the pair on disk
			// is the previous one.
			return nil, fmt.Errorf("checkpoint: removing an interrupted save: %w", err)
		}
	}
	if s == nil {
		if s, err = LoadTrainState(statePath); err != nil {
			return nil, err
		}
	}
	if sp := statePos(s); mp != sp {
		return nil, fmt.Errorf("checkpoint: %s is at %s but %s at %s: the two files are not from the same moment (were they copied from different runs?)",
			filepath.Join(dir, ModelFile), mp, statePath, sp)
	}
	sizes := make(map[string]int)
	for name, t := range m.Params() {
		sizes[name] = len(t.Data)
	}
	for i, n := range s.Names {
		if sizes[n] != len(s.State.Adam.M[i]) || sizes[n] != len(s.State.Adam.V[i]) {
			return nil, fmt.Errorf("checkpoint: %s: moments of %q have %d/%d values, but the model's parameter has %d",
				filepath.Join(dir, StateFile), n, len(s.State.Adam.M[i]), len(s.State.Adam.V[i]), sizes[n])
		}
	}
	return &Run{Model: m, ModelMetadata: meta, State: s}, nil
}
