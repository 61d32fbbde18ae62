// Package pxstudy measures how efficiently the estimators of package mc
// estimate log p(x), on linear-Gaussian models whose exact log p(x) is known.
//
// For each latent dimension it draws a model and data points from it, then
// doubles the sample count K until an estimator's root-mean-square error over
// independent replicates falls below a tolerance (0.1 nats by default). The
// smallest such K is the estimator's sample cost; the ratio of naive prior
// sampling's cost to importance sampling's is the headline of vitool. It also
// measures the spread of the log-estimate at one common K, and throughput and
// peak memory for single large runs.
//
// The study backs the "vitool bench-px" command and the Go benchmarks; it
// lives in an internal package because its output format is the command's.
package pxstudy
