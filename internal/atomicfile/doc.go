// Package atomicfile writes files atomically: the content goes to a temporary
// file in the destination's directory, which is synced and then renamed over
// the destination. A reader of the destination sees either the old content or
// the complete new content, never a partial file, and a failed write leaves
// the destination untouched.
package atomicfile
