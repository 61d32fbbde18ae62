// Package explore serves the local web page of `vitool explore`: the latent
// plane of a trained VAE beside the code plane of a plain autoencoder, with
// the encoded test digits coloured by label, decoding of any point of the
// plane, interpolation between two digits, prior samples, and the naive
// Monte Carlo and importance-sampling estimates of log p(x) against the
// number of samples K.
//
// The page, its script and its style sheet are embedded in the binary
// (package embed) and load nothing from the network. The page talks to the
// server through small JSON endpoints (GET only):
//
//	/api/info         what is loaded: models, projections, image shape, limits
//	/api/latents      the projected codes of the test digits and their labels
//	/api/decode       the image decoded at a point (u, v) of a plane
//	/api/digit        one test point's image and label
//	/api/interpolate  images along the straight latent line between two digits
//	/api/samples      images decoded from z ~ N(0, I)
//	/api/estimate     log p̂(x) of one digit against K, naive and importance sampling
//
// Every request is bounded: the counts it may ask for (K, samples,
// interpolation steps) are capped by the Limits of the server, and
// coordinates must be finite and moderate, so no request allocates more
// than the limits allow. Estimates run one at a time.
//
// A latent space of more than two dimensions is shown through a plane: the
// plane through the mean of the encoded test digits spanned by their first
// two principal components. A point (u, v) of the plane decodes the latent
// vector mean + u·a₁ + v·a₂, and the page states this. A one-dimensional
// latent space is shown along the horizontal axis, the vertical one only
// spreading the points.
package explore
