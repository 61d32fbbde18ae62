// Package doctest keeps vitool's documentation honest. It has no code of its
// own, only tests:
//
//   - TestDocCommands runs every vitool command shown in the fenced sh blocks
//     of README.md, docs/*.md, examples/README.md and examples/*/README.md
//     against a freshly built binary, and fails when one exits with an error;
//   - TestCLIReference fails when docs/cli.md differs from what
//     "go run ./internal/gendocs" generates from the command definitions.
//
// # Writing documentation that the test runs
//
// A command is a line of a ```sh (or ```bash) block that starts with
// "go run ./cmd/vitool" or "vitool" (a leading "$ " is ignored, and a line
// ending in a backslash continues on the next), or with "go run
// ./examples/EXAMPLE/cmd/NAME": a user's own program built on package cli,
// which has vitool's commands plus the models it registers. The test
// replaces the prefix by the built binary and runs the line with sh, so redirections
// work. A line "mkdir -p out" (relative folders only) is run too, so that a
// tutorial can create the folder its commands write to; other lines (go
// test, comments, …) are shown to the reader but not run. The commands of one Markdown file run in order, in one temporary
// directory that holds symbolic links to the repository's top-level files
// and folders that git tracks: repository paths such as testdata/mnist
// resolve, relative output paths (--out out/vae) land in the temporary
// directory, and what a user left in the working tree (a run/ folder, a
// model file) is not seen. Keep commands fast (seconds on two cores): small
// --k lists, few epochs, small networks; a command that is slow by design
// (the README's minute of training) gets a short annotation, which makes
// go test -short run a cheaper variant of it.
//
// Four annotations, each an HTML comment on the last non-blank line before
// a fenced block, change what the test does with that block:
//
//	<!-- doctest: skip (slow: full MNIST) -->   skip every command in the block, showing the reason
//	<!-- doctest: short --epochs 1 -->          under -short, append these arguments to every command of the block
//	<!-- doctest: file model.json -->           write the block's content to model.json in the temporary directory
//	<!-- doctest: ignore -->                    neither run nor write the block
//
// A single command is skipped by ending its line with a shell comment,
// "vitool bench-px  # doctest: skip (slow: minutes)", and a command that is
// meant to fail declares its exit code the same way:
// "vitool estimate-px --k 0  # doctest: exit 2".
package doctest
