// Command mixtool is the vitool command tree with one model of its own
// added: the Gaussian mixture of package mixture, registered as
// --model mixture. It is the small main package a user writes to run their
// own ppl model with vitool's commands:
//
//	func main() {
//		mixture.Register()
//		cli.Main()
//	}
//
// Fit the mixture's parameters by SVI on its default data (300 points
// embedded in the program; --data FILE.csv for others; --batch B visits B
// random points of the model's plate per step), then estimate log p(x) with
// the fitted guide as the importance-sampling proposal, next to the exact
// value, which the model supplies:
//
//	go run ./examples/08-gaussian-mixture/cmd/mixtool fit --model mixture --out params.safetensors
//	go run ./examples/08-gaussian-mixture/cmd/mixtool estimate-px --model mixture --params params.safetensors
//
// The fit takes under ten seconds with its defaults (2000 steps over the
// whole data set, K = 8);
// estimate-px uses K = 1, 10, 100, 1000 for a registered model unless --k
// says otherwise.
//
// mixtool models lists the registered models, and mixtool help COMMAND
// explains every flag; all other commands are vitool's.
package main

import (
	"github.com/vitool/vitool/cli"
	"github.com/vitool/vitool/examples/08-gaussian-mixture/mixture"
)

func main() {
	mixture.Register()
	cli.Main()
}
