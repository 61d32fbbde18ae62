package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vitool/vitool/amortized"
)

// TestSaveRunKilled simulates a process killed at each point of SaveRun
// and checks that LoadRun finds a consistent pair: the new one once the
// model file is written, the previous one before; and that a later SaveRun
// removes the temporary files a killed write left.
func TestSaveRunKilled(t *testing.T) {
	data := stateData(40, 8)
	setup := func(t *testing.T) (string, *amortized.VAE, *amortized.Trainer) {
		v := newVAE(t, stateVAE, 3)
		tr, err := amortized.NewVAETrainer(v, stateCfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := SaveRun(dir, v, tr, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		return dir, v, tr
	}
	modelMeta := func(tr *amortized.Trainer) map[string]string {
		return map[string]string{MetaTrainEpoch: strconv.Itoa(tr.Epoch()), MetaTrainStep: strconv.Itoa(tr.Step()),
			MetaTrainAdamStep: strconv.Itoa(tr.Optimizer().Steps())}
	}
	for _, c := range []struct {
		name      string
		steps     int // of SaveRun completed: 1 = pending state written, 2 = model written too
		wantEpoch int
	}{
		{"killed after the pending state", 1, 1},
		{"killed after the model", 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, v, tr := setup(t)
			if err := SaveTrainState(filepath.Join(dir, PendingStateFile), tr, nil); err != nil {
				t.Fatal(err)
			}
			if c.steps >= 2 {
				if err := Save(filepath.Join(dir, ModelFile), v, modelMeta(tr)); err != nil {
					t.Fatal(err)
				}
			}
			run, err := LoadRun(dir)
			if err != nil {
				t.Fatalf("LoadRun: %v", err)
			}
			if run.State.State.Epoch != c.wantEpoch {
				t.Errorf("resumed at epoch %d, want %d", run.State.State.Epoch, c.wantEpoch)
			}
			if _, err := os.Stat(filepath.Join(dir, PendingStateFile)); !os.IsNotExist(err) {
				t.Errorf("%s left behind after LoadRun", PendingStateFile)
			}
			// Loading again gives the same, consistent pair.
			if run2, err := LoadRun(dir); err != nil || run2.State.State.Epoch != c.wantEpoch {
				t.Errorf("second LoadRun: %v", err)
			}
		})
	}
	t.Run("stale temporary files", func(t *testing.T) {
		dir, v, tr := setup(t)
		stale := filepath.Join(dir, "."+ModelFile+".tmp-killed")
		if err := os.WriteFile(stale, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := SaveRun(dir, v, tr, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("stale temporary file %s not removed", stale)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("run directory holds %v, want only %s and %s", names, ModelFile, StateFile)
		}
	})
}
