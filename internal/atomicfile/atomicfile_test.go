package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leftovers returns the names in dir other than the ones listed in want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := make(map[string]bool)
	for _, w := range want {
		keep[w] = true
	}
	var extra []string
	for _, e := range entries {
		if !keep[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestWriteBytes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []byte // nil: no file before the write
		data     []byte
		perm     os.FileMode
	}{
		{name: "new file", data: []byte("hello"), perm: 0o644},
		{name: "replace", existing: []byte("old content that is longer"), data: []byte("new"), perm: 0o600},
		{name: "empty", existing: []byte("x"), data: []byte{}, perm: 0o640},
		{name: "large", data: []byte(strings.Repeat("abcdefgh", 50000)), perm: 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.bin")
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteBytes(path, tc.data, tc.perm); err != nil {
				t.Fatalf("WriteBytes: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tc.data) {
				t.Errorf("content: got %d bytes, want %d", len(got), len(tc.data))
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// A replaced file keeps its mode; a new one gets perm less
			// the umask.
			want := tc.perm &^ umask(t)
			if tc.existing != nil {
				want = 0o666 &^ umask(t)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("permissions: got %v, want %v", fi.Mode().Perm(), want)
			}
			if extra := leftovers(t, dir, "out.bin"); len(extra) != 0 {
				t.Errorf("files left behind: %v", extra)
			}
		})
	}
}

func TestWriteFileRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteBytes("rel.txt", []byte("r"), 0o644); err != nil {
		t.Fatalf("WriteBytes: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "rel.txt"))
	if err != nil || string(got) != "r" {
		t.Fatalf("got %q, %v; want %q", got, err, "r")
	}
}

func TestWriteFileFailingWriter(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		write func(w io.Writer) error
	}{
		{
			name:  "error before writing",
			write: func(io.Writer) error { return errBoom },
		},
		{
			name: "error after partial write",
			write: func(w io.Writer) error {
				// More than the buffer size, so some bytes reach the
				// temporary file before the failure.
				if _, err := w.Write(make([]byte, 200000)); err != nil {
					return err
				}
				return errBoom
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "keep.txt")
			const original = "original content"
			if err := os.WriteFile(path, []byte(original), 0o644); err != nil {
				t.Fatal(err)
			}
			err := WriteFile(path, 0o644, tc.write)
			if !errors.Is(err, errBoom) {
				t.Fatalf("WriteFile error = %v, want one wrapping %v", err, errBoom)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the destination %s", err, path)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != original {
				t.Errorf("destination changed: got %q, want %q", got, original)
			}
			if extra := leftovers(t, dir, "keep.txt"); len(extra) != 0 {
				t.Errorf("temporary files left behind: %v", extra)
			}
		})
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "out.bin")
	err := WriteBytes(path, []byte("x"), 0o644)
	if err == nil {
		t.Fatal("WriteBytes into a missing directory succeeded")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the destination %s", err, path)
	}
}

func TestWriteFileDirectoryPath(t *testing.T) {
	dir := t.TempDir()
	err := WriteBytes(dir+string(filepath.Separator), []byte("x"), 0o644)
	if err == nil {
		t.Fatal("WriteBytes to a path ending in a separator succeeded")
	}
	if !strings.Contains(err.Error(), "directory") {
		t.Errorf("error %q does not say the path is a directory", err)
	}
}

func TestWriteFileRenameFails(t *testing.T) {
	// The destination is a non-empty directory: the rename fails after the
	// temporary file is complete, and the temporary file must go.
	dir := t.TempDir()
	dest := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(dest, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteBytes(dest, []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "rename") {
		t.Fatalf("WriteBytes over a directory: error %v, want a rename error", err)
	}
	if extra := leftovers(t, dir, "target"); len(extra) != 0 {
		t.Errorf("temporary files left behind: %v", extra)
	}
	if fi, err := os.Stat(dest); err != nil || !fi.IsDir() {
		t.Errorf("destination directory changed: %v, %v", fi, err)
	}
}

// umask returns the process's umask, as the mode bits that a file created
// with 0777 lacks.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o777)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ fi.Mode().Perm()
}

// TestModeKept checks that replacing a 0600 file keeps it 0600, whatever
// perm the writer asks for.
func TestModeKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
}

// TestCleanStale checks that CleanStale removes the temporary files of one
// destination and nothing else.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bin")
	for _, n := range []string{".model.bin.tmp-123", ".model.bin.tmp-abc", ".other.bin.tmp-1", "model.bin"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := CleanStale(path)
	if err != nil || len(removed) != 2 {
		t.Fatalf("removed %v, %v; want the two temporary files of model.bin", removed, err)
	}
	if extra := leftovers(t, dir, "model.bin", ".other.bin.tmp-1"); len(extra) != 0 {
		t.Errorf("left %v", extra)
	}
}
