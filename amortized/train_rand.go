package amortized

import "math/rand/v2"

// newStream returns a random source seeded by seed and the labels: each
// combination gives its own independent PCG stream, so that the shuffle of
// an epoch and the draws of a step depend only on the seed and their
// position.
func newStream(seed uint64, labels ...uint64) *rand.Rand {
	h := deriveSeed(seed, labels...)
	return rand.New(rand.NewPCG(h, splitmix64(h)))
}

// deriveSeed hashes seed and labels into a new seed, as mc.DeriveSeed does.
func deriveSeed(seed uint64, labels ...uint64) uint64 {
	h := splitmix64(seed)
	for _, l := range labels {
		h = splitmix64(h ^ splitmix64(l+0x6a09e667f3bcc909))
	}
	return h
}

// splitmix64 is the output function of Steele, Lea and Flood's SplitMix64
// generator applied to x + γ.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
