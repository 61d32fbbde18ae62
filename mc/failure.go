package mc

import "fmt"

// Failure is the panic value with which a model or proposal reports a
// runtime failure from a method that has no error result (latent.Model's
// LogLikelihood, dist.Distribution's LogProb and Sample): the adapters of
// package ppl, whose models are user code, do so. The estimators recover a
// Failure, from any worker, and return its error; any other panic is a
// programmer error and propagates.
type Failure struct {
	Err error
}

func (f Failure) Error() string { return f.Err.Error() }

// Unwrap returns the failure's error.
func (f Failure) Unwrap() error { return f.Err }

// Fail reports err from inside a model or proposal by panicking with a
// Failure. It panics with a plain message if err is nil.
func Fail(err error) {
	if err == nil {
		panic("mc: Fail(nil)")
	}
	panic(Failure{Err: err})
}

// recoverFailure turns a recovered Failure into *err; other panics
// propagate.
func recoverFailure(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(Failure)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("mc: %w", f.Err)
	}
}
