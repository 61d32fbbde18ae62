package cli

import (
	"os"
	"strings"

	"github.com/vitool/vitool/dataset"
)

// openData opens the data set that a --data value names: "" or
// "embedded:NAME" for an embedded set (default mnist), a directory in a
// standard layout (MNIST IDX files, or binarised-MNIST .amat files), or a
// single file, which becomes the Train split alone. flag names the flag in
// errors.
func openData(flag, spec string) (*dataset.Splits, error) {
	if spec == "" || strings.HasPrefix(spec, "embedded:") {
		name := strings.TrimPrefix(spec, "embedded:")
		if name == "" {
			name = "mnist"
		}
		sp, err := dataset.Embedded(name)
		if err != nil {
			return nil, usagef("%s: %v", flag, err)
		}
		return sp, nil
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	if fi.IsDir() {
		sp, err := dataset.LoadDir(spec)
		if err != nil {
			return nil, usagef("%s: %v", flag, err)
		}
		return sp, nil
	}
	d, err := dataset.Load(spec)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	return &dataset.Splits{Train: d}, nil
}
