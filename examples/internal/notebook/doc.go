// Package notebook holds the plumbing that the runnable examples
// (examples/NN-*) share, so that each example's main.go shows its model,
// its estimators and what it measures, and little else:
//
//   - Common, the settings every example takes from its flags, and
//     Common.Register, which defines the flags -fast, -full, -out and -seed;
//   - Main, the end of an example's main: run the example, and on an error
//     print "NAME: error" and exit with status 1;
//   - NewTable, PlusMinus and Num, for printing results in vitool's table
//     layout;
//   - Figures, which writes an example's figures into its -out folder and
//     records their paths;
//   - CheckPNGs, for the example tests: were the figures written, and are
//     they images?
//   - Seeds, Parallel, MeanSD and Band, for results measured over several
//     independent runs: their seeds, derived from -seed; the runs trained
//     concurrently; the mean and spread of a number; a curve's mean with a
//     shaded band of ± one standard deviation.
//
// The package is internal to the examples; it is not part of vitool's API.
package notebook
