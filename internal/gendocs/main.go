// Command gendocs writes the vitool CLI reference, docs/cli.md, from the
// command definitions in package cli. Run it from the repository root:
//
//	go run ./internal/gendocs
//
// The -o flag names another output file ("-" for standard output).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vitool/vitool/cli"
	"github.com/vitool/vitool/internal/atomicfile"
)

func main() {
	out := flag.String("o", "docs/cli.md", "output file, or - for standard output")
	flag.Parse()
	var err error
	if *out == "-" {
		err = cli.WriteReference(os.Stdout)
	} else {
		err = atomicfile.WriteFile(*out, 0o644, func(w io.Writer) error { return cli.WriteReference(w) })
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}
