// Package figure draws the pictures that vitool's commands and examples
// write: grids of grayscale images (MNIST digits, reconstructions, latent
// interpolations, decoded latent manifolds), line plots (training curves,
// estimates against the number of samples K) and scatter plots of 2-D latent
// codes coloured by class label.
//
// Image grids are built with the standard library's image package: Grid tiles
// images given as row-major float slices into an *image.RGBA, and the helpers
// Rows and Interleave put images in the order that comparison and
// interpolation layouts need; GridOptions.RowLabels and ColLabels write
// labels beside the rows and above the columns (what each row shows, latent
// coordinates). WritePNG saves any image.
//
// Line and scatter plots are built with gonum.org/v1/plot. LinePlot and
// Scatter return a *plot.Plot, which the caller may adjust further before
// saving it with Save. ScatterOptions.Circles draws circles about the origin,
// such as the contours of N(0, I) over 2-D latent codes.
//
// Every file is written atomically: a reader of the destination sees either
// the old file or the complete new one, and a failed write leaves no
// temporary file behind.
//
// Misuse that is a programmer error (slices of mismatched lengths, an image of
// the wrong size, a negative scale) panics. Problems with the data itself are
// handled without failing where a picture still makes sense (non-finite
// values are skipped in plots and shown in a marker colour in grids), and
// reported as errors where it does not (no finite point at all, a
// non-positive X value on a logarithmic axis, an unwritable path).
package figure
