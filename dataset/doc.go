// Package dataset loads data sets for vitool's models and training code, and
// binarises them.
//
// A Dataset holds N points of dimension D as one row-major []float32, with the
// image shape and class labels when the file has them. Readers cover the
// formats of the usual latent-variable benchmarks and of user data:
//
//   - IDX (MNIST, Fashion-MNIST): images (magic 0x00000803) scaled to [0, 1],
//     and labels (magic 0x00000801). Load and ReadIDX of an images file pick
//     up the matching labels file beside it.
//   - .amat (Larochelle & Murray's fixed-binarised MNIST): one point per
//     line, space-separated values 0 or 1.
//   - CSV: one point per row, numeric columns, optional header row.
//   - NPY (NumPy): 1-D, 2-D or 3-D arrays in C order.
//
// Every reader accepts gzip-compressed input, recognised by its magic bytes
// rather than by the file name. Each format has a Decode function that reads
// from an io.Reader and a Read function that opens a path; Load and LoadFS
// recognise the format themselves, and LoadDir and LoadDirFS read the train,
// validation and test files of an MNIST-style or binarised-MNIST folder.
// Embedded returns the small real subsets of MNIST and binarised MNIST that
// are compiled into vitool, so every command works with no download.
//
// Malformed, truncated or inconsistent files give a *FormatError naming the
// file, the byte offset or line (and column), and what was expected and
// found. Header fields are checked against the data that is actually present
// before anything large is allocated.
//
// # Binarisation
//
// Binary-likelihood models need 0/1 data. Batch copies a mini-batch under one
// of three schemes: Continuous keeps the intensities; Dynamic draws a fresh
// Bernoulli variable with p equal to the intensity every time a point is used
// (as in Burda et al.'s IWAE paper); Fixed uses data binarised once, by
// Binarize with a seeded source or as distributed (.amat).
package dataset
