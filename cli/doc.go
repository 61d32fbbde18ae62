// Package cli implements the vitool command-line tool.
//
// The command tree lives in a library package, not in package main, so that a
// user can register their own models and call Main from a small main package of
// their own, getting the same tables, JSON, progress bars and plots as the
// built-in models.
//
// Exit codes: 0 on success, 1 when a run fails (for example an estimator
// produced a NaN), 2 for usage errors: unknown flags or values, and files that
// are missing, malformed or inconsistent with each other.
package cli
