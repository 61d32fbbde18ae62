// Command vitool estimates marginal likelihoods of latent-variable models and
// trains variational autoencoders. Run "vitool --help" for the commands.
package main

import "github.com/vitool/vitool/cli"

func main() { cli.Main() }
