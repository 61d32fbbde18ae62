package cli

import (
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/vitool/vitool/dataset"
)

// openData opens the data set that a --data value names: "" or
// "embedded:NAME" for an embedded set (default mnist), a directory in a
// standard layout (MNIST IDX files, or binarised-MNIST .amat files), or a
// single file, which becomes the Train split alone. Only the first n points
// of each split are read (0: all), and a data set larger than the memory
// budget (see EnvMaxMemory) is refused before it is read. flag names the
// flag in errors.
func openData(flag, spec string, n int) (*dataset.Splits, error) {
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
	lim, err := dataLimits(n)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	if fi.IsDir() {
		sp, err := dataset.LoadDirLimited(spec, lim)
		if err != nil {
			return nil, dataError(flag, err)
		}
		return sp, nil
	}
	d, err := dataset.LoadLimited(spec, lim)
	if err != nil {
		return nil, dataError(flag, err)
	}
	return &dataset.Splits{Train: d}, nil
}

// fewerPoints warns that flag asked for more points than name holds, and
// that all n of them are used.
func fewerPoints(log zerolog.Logger, flag string, asked int, name string, n int) {
	log.Warn().Msgf("%s %d: %s has only %d points; using all %d", flag, asked, name, n, n)
}
