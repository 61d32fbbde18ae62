package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newModelsCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "models",
		Short: "List the models registered by this program, for fit and estimate-px --model",
		Long: `models lists the models that this program registered with cli.RegisterModel:
models and guides written as Go functions with package ppl, which fit fits
and estimate-px evaluates by name. The stock vitool binary registers none;
docs/write-your-own-model.md shows how to build a program that does.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			names := registeredNames()
			if len(names) == 0 {
				_, err := fmt.Fprintln(stdout, "no models registered (see docs/write-your-own-model.md)")
				return err
			}
			t := newTable(stdout, "name", "data dim", "default data", "exact log p(x)", "description")
			for _, n := range names {
				m, _ := registeredModel(n)
				dim := "any"
				if m.DataDim > 0 {
					dim = fmt.Sprint(m.DataDim)
				}
				if err := t.Append(n, dim, yesNo(m.Data != nil), yesNo(m.Exact != nil), m.Description); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
