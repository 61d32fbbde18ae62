package cli

import (
	"os"
	"path/filepath"
)

// prepareOutput checks, before a command does its work, that it will be
// able to write its result to the file path that flag names, so that no
// computed result is lost to a late check: the folder that will hold path
// is created if missing; path must not be a folder, nor the same file as
// one of inputs (the files the command reads, "" for none).
func prepareOutput(flag, path string, inputs ...string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return usagef("%s: %s is a folder, want a file name", flag, path)
		}
		for _, in := range inputs {
			if in == "" {
				continue
			}
			if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
				return usagef("%s: %s is also an input of this command (%s); writing it would destroy that input, choose another file", flag, path, in)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return usagef("%s: cannot create the folder for %s: %v", flag, path, err)
	}
	return nil
}
