package doctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestWorkDirIgnoresUserOutputs builds a small checkout that holds what a
// user following the README leaves behind (a trained run/ and a stray
// .safetensors file, neither tracked by git) and checks that the documented
// commands' working directory does not see them: the README's train-vae into
// run/ succeeds there although the user's run/ already holds a checkpoint,
// and leaves the user's files as they were.
func TestWorkDirIgnoresUserOutputs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found: the work directory falls back to every top-level entry")
	}
	repo := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# readme\n")
	write("testdata/x.txt", "data\n")
	git := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "README.md", "testdata")

	// The user's leftovers: a real checkpoint in run/, and a stray file.
	train := []string{"train-vae", "--epochs", "1", "--train-n", "100", "--test-n", "10",
		"--hidden", "8", "--latent", "2", "--log-level", "error", "--out", "run"}
	vitool := filepath.Join(binDir, "vitool")
	user := exec.Command(vitool, train...)
	user.Dir = repo
	if out, err := user.CombinedOutput(); err != nil {
		t.Fatalf("training the user's run: %v\n%s", err, out)
	}
	write("mixture.safetensors", "not a safetensors file")
	before, err := os.ReadFile(filepath.Join(repo, "run", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}

	names, err := trackedTopLevel(repo)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "testdata"}; !slices.Equal(names, want) {
		t.Fatalf("trackedTopLevel = %q, want %q", names, want)
	}
	work := t.TempDir()
	if err := linkEntries(work, repo, names); err != nil {
		t.Fatal(err)
	}
	for _, stray := range []string{"run", "mixture.safetensors"} {
		if _, err := os.Lstat(filepath.Join(work, stray)); !os.IsNotExist(err) {
			t.Errorf("the work directory sees the user's %s (Lstat: %v)", stray, err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "testdata", "x.txt")); err != nil {
		t.Errorf("a tracked path does not resolve in the work directory: %v", err)
	}
	doc := exec.Command(vitool, train...)
	doc.Dir = work
	if out, err := doc.CombinedOutput(); err != nil {
		t.Errorf("the documented train-vae --out run failed beside the user's run/: %v\n%s", err, out)
	}
	after, err := os.ReadFile(filepath.Join(repo, "run", "model.safetensors"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the user's run/model.safetensors changed (err %v)", err)
	}
}
