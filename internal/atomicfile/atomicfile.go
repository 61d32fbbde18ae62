package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFile atomically replaces the file at path with the bytes that write
// produces. The content is written through a buffer to a temporary file named
// "."+base+".tmp-*" in the same directory as path; the temporary file is then
// flushed, synced to disk, closed and renamed over path. Finally the directory
// itself is synced, on a best-effort basis, so that the rename survives a
// crash.
//
// The new file keeps the permission bits of the file it replaces; a file that
// did not exist gets perm less the process's umask, as os.WriteFile gives.
//
// If write or any step before the rename fails, the temporary file is removed,
// path is left as it was, and the error is returned. A temporary file left by
// a process that was killed during a write is removed by CleanStale.
func WriteFile(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("atomicfile: %q names a directory, not a file", path)
	}
	keep := false
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		perm, keep = fi.Mode().Perm(), true
	}
	f, err := createTemp(dir, base, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			// The write failed: the temporary file is garbage. Close may
			// already have happened, in which case it reports an error we
			// do not care about.
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", tmp, err)
	}
	if keep {
		// The umask may have removed bits of the replaced file's mode.
		if err := os.Chmod(tmp, perm); err != nil {
			return fmt.Errorf("atomicfile: chmod %s: %w", tmp, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: rename %s to %s: %w", tmp, path, err)
	}
	syncDir(dir)
	return nil
}

// tempPattern returns the glob pattern of the temporary files of base.
func tempPattern(base string) string { return "." + base + ".tmp-*" }

// createTemp creates a new temporary file for base in dir with the
// permission bits perm (less the umask).
func createTemp(dir, base string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no unused temporary name in %s", dir)
}

// CleanStale removes the temporary files that WriteFile left for path
// when the process writing it was killed. It must not run while another
// process writes path. It returns the names it removed.
func CleanStale(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	matches, err := filepath.Glob(filepath.Join(dir, tempPattern(base)))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("atomicfile: remove stale %s: %w", m, err)
		}
		removed = append(removed, m)
	}
	return removed, nil
}

// WriteBytes atomically replaces the file at path with data, with the
// permission bits perm. It is WriteFile with a writer that writes data.
func WriteBytes(path string, data []byte, perm os.FileMode) error {
	return WriteFile(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir syncs the directory dir so that a rename within it is durable. It is
// best effort: some platforms and file systems cannot sync directories, and the
// file's content is already safe, so errors are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
