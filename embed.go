// Package vitool is the root of the vitool toolkit for latent-variable
// models and variational inference. The toolkit itself lives in its
// subpackages (see DEVELOPERS.md for the layout); this package only embeds
// the small real data sets in testdata/, so that every command works with no
// download. Package dataset reads them: see dataset.Embedded.
package vitool

import "embed"

// Testdata holds the embedded data sets: testdata/mnist (the first 2000
// training and 500 test images and labels of MNIST, as gzipped IDX files)
// and testdata/binarized_mnist (the first 1000, 200 and 200 lines of the
// train, valid and test .amat files of fixed-binarised MNIST). Their
// provenance and licences are in testdata/README.md.
//
//go:embed testdata/mnist testdata/binarized_mnist
var Testdata embed.FS
