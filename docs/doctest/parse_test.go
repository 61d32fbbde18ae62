package doctest

import (
	"reflect"
	"strings"
	"testing"
)

func TestExtractCommands(t *testing.T) {
	md := strings.Join([]string{
		"# Title",
		"",
		"```sh",
		"go run ./cmd/vitool estimate-px --k 1,10",
		"$ vitool --log-level warn sample --n 4 \\",
		"    --out s.png",
		"go test -short ./...",
		"vitoolx estimate-px",
		"# a comment",
		"vitool bench-px  # doctest: skip (slow: minutes)",
		"vitool estimate-px --proposal nope  # doctest: exit 2",
		"vitool help train-vae",
		"go run ./examples/08-x/cmd/mytool fit --model m --out p.safetensors",
		"go run ./examples/08-x/main.go",
		"mkdir -p out",
		"mkdir /abs; rm -rf x",
		"```",
		"",
		"<!-- doctest: skip (slow: full MNIST) -->",
		"",
		"```bash",
		"vitool train-vae --epochs 100",
		"```",
		"<!-- doctest: file model.json -->",
		"```json",
		`{"family": "linear-gaussian"}`,
		"```",
		"```text",
		"vitool estimate-px (shown, not run)",
		"```",
		"<!-- doctest: ignore -->",
		"```sh",
		"vitool estimate-px --model mine.json",
		"```",
		"<!-- doctest: short --epochs 1 --train-n 200 -->",
		"```sh",
		"vitool train-vae --out out/vae",
		"```",
	}, "\n")
	cmds, files, err := commands(parseBlocks(md))
	if err != nil {
		t.Fatal(err)
	}
	want := []command{
		{line: 4, text: "go run ./cmd/vitool estimate-px --k 1,10", script: "vitool estimate-px --k 1,10", sub: "estimate-px"},
		{line: 5, text: "vitool --log-level warn sample --n 4 --out s.png", script: "vitool --log-level warn sample --n 4 --out s.png", sub: "sample"},
		{line: 10, text: "vitool bench-px", script: "vitool bench-px", sub: "bench-px", skip: "slow: minutes"},
		{line: 11, text: "vitool estimate-px --proposal nope", script: "vitool estimate-px --proposal nope", sub: "estimate-px", exit: 2},
		{line: 12, text: "vitool help train-vae", script: "vitool help train-vae", sub: "train-vae"},
		{line: 13, text: "go run ./examples/08-x/cmd/mytool fit --model m --out p.safetensors", script: "mytool fit --model m --out p.safetensors", sub: "fit", prog: "./examples/08-x/cmd/mytool"},
		{line: 15, text: "mkdir -p out", script: "mkdir -p out"},
		{line: 22, text: "vitool train-vae --epochs 100", script: "vitool train-vae --epochs 100", sub: "train-vae", skip: "slow: full MNIST"},
		{line: 37, text: "vitool train-vae --out out/vae", script: "vitool train-vae --out out/vae", sub: "train-vae", short: "--epochs 1 --train-n 200"},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands:\n got %+v\nwant %+v", cmds, want)
	}
	if got := files["model.json"]; got != "{\"family\": \"linear-gaussian\"}\n" {
		t.Errorf("files[model.json] = %q", got)
	}
	if len(files) != 1 {
		t.Errorf("files = %v, want only model.json", files)
	}
}

func TestExtractCommandsErrors(t *testing.T) {
	for _, md := range []string{
		"<!-- doctest: skp -->\n```sh\nvitool\n```\n",
		"<!-- doctest: file ../escape.json -->\n```json\n{}\n```\n",
		"<!-- doctest: file /abs.json -->\n```json\n{}\n```\n",
		"<!-- doctest: short -->\n```sh\nvitool\n```\n",
		"<!-- doctest: short --n 1; rm x -->\n```sh\nvitool sample\n```\n",
		"<!-- doctest: short --n 1 -->\n```sh\nvitool sample > x.png\n```\n",
	} {
		if _, _, err := commands(parseBlocks(md)); err == nil {
			t.Errorf("no error for\n%s", md)
		}
	}
}

func TestSubcommand(t *testing.T) {
	cases := []struct {
		line, want string
	}{
		{"", ""},
		{"--help", ""},
		{"estimate-px --k 1", "estimate-px"},
		{"--progress never bench-px", "bench-px"},
		{"--log-level=warn sample", "sample"},
		{"help interpolate", "interpolate"},
		{"> out.txt", ""},
	}
	for _, c := range cases {
		if got := subcommand(strings.Fields(c.line)); got != c.want {
			t.Errorf("subcommand(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}
