#!/usr/bin/env bash
# Regenerates every figure of docs/figures/ by running each example with its
# default settings (a minute or two each on two cores). Extra arguments are
# passed to every example, e.g. "examples/regenerate.sh -full".
set -euo pipefail
cd "$(dirname "$0")/.."
for ex in 01-autoencoder 02-monte-carlo 03-importance-sampling 04-elbo-iwae 05-vae 06-evaluate-vae 07-custom-model 08-gaussian-mixture 09-vae-model-guide 10-eight-schools 11-ais 12-beta-iwae; do
	echo "== $ex"
	go run "./examples/$ex" "$@"
done
