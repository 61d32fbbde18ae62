package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// Exit codes returned by Run; docs/failure-behaviour.md describes them.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command ran but failed
	ExitUsage   = 2 // bad flags, arguments or input files
	// ExitCrash reports an internal error (a panic): a bug in vitool,
	// never a problem with the input. Run prints the panic and its stack.
	ExitCrash = 3
	// ExitInterrupted reports that a command stopped on SIGINT or SIGTERM
	// before it finished, after printing what it had completed; the
	// training commands and fit, which save a resumable result, exit with
	// ExitOK instead.
	ExitInterrupted = 130
)

// errInterrupted is returned by commands that stop on a signal with their
// work incomplete; Run maps it to ExitInterrupted.
var errInterrupted = errors.New("interrupted")

// UsageError reports bad user input: a flag value, an argument or an input
// file. Run maps it to ExitUsage.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a *UsageError with a formatted message.
func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// programName names the program in help texts and error messages: "vitool",
// or the name of a user's own program that calls Main.
var programName = "vitool"

// Main runs vitool with the process's arguments and standard streams, stops
// cleanly on SIGINT or SIGTERM, and exits with Run's exit code. Called from a
// user's own program (see RegisterModel), it names that program in help texts
// and error messages.
func Main() {
	if len(os.Args) > 0 {
		if name := filepath.Base(os.Args[0]); name != "" && name != "." {
			programName = name
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the command winds down; a second one
		// kills the process at once, as without a handler.
		<-ctx.Done()
		stop()
	}()
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run executes the vitool command line args (without the program name),
// writing results to stdout and diagnostics (logs, progress, errors) to stderr,
// and returns the exit code.
//
// A panic inside a command is a bug: Run recovers it, prints it with its
// stack and a request to report it, and returns ExitCrash, so that a crash
// never looks like a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = crashed(stderr, r, debug.Stack())
		}
	}()
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", programName, err)
	var ue *UsageError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	}
	return ExitFailure
}

// crashed reports the panic value r with its stack and returns ExitCrash.
func crashed(stderr io.Writer, r any, stack []byte) int {
	fmt.Fprintf(stderr, "%s: internal error: %v\n\n%s\n", programName, r, stack)
	fmt.Fprintf(stderr, "%s: this is a bug in %s, not a problem with your input; please report it with the command line and the message above (exit status %d)\n",
		programName, programName, ExitCrash)
	return ExitCrash
}

// usageArgs wraps the argument check of cmd and of its subcommands so that
// unexpected positional arguments are usage errors (exit status 2).
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				var ue *UsageError
				if errors.As(err, &ue) {
					return err
				}
				return &UsageError{Err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// globalFlags are the flags every command shares.
type globalFlags struct {
	logLevel string
	progress string
}

// newRootCommand returns the command tree of this program: vitool's
// commands, and fit and models when the program registered models of its
// own (RegisterModel); the stock vitool registers none.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	return newRoot(stdout, stderr, len(registry) > 0)
}

// newReferenceRoot returns the command tree that docs/cli.md documents:
// every command, with fit and models marked as those of programs that
// register models.
func newReferenceRoot() *cobra.Command {
	root := newRoot(io.Discard, io.Discard, true)
	for _, c := range root.Commands() {
		if c.Name() == "fit" || c.Name() == "models" {
			c.Short += " (only in programs that register models, see cli.RegisterModel)"
		}
	}
	return root
}

// newRoot returns the command tree, with the commands for registered models
// (fit and models) when withModels is set.
func newRoot(stdout, stderr io.Writer, withModels bool) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   programName,
		Short: "Latent-variable models and variational inference",
		Long: `vitool estimates the marginal likelihood log p(x) of latent-variable models
by naive Monte Carlo, importance sampling, the ELBO and the IWAE bound, and
trains amortised variational models.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error or disabled")
	root.PersistentFlags().StringVar(&g.progress, "progress", "auto", "progress bars on stderr: auto (when stderr is a terminal), always or never")
	root.AddCommand(newEstimateCommand(g, stdout, stderr))
	root.AddCommand(newBenchCommand(g, stdout, stderr))
	root.AddCommand(newSandwichCommand(g, stdout, stderr))
	root.AddCommand(newTrainVAECommand(g, stdout, stderr))
	root.AddCommand(newTrainAECommand(g, stdout, stderr))
	root.AddCommand(newSampleCommand(g, stdout, stderr))
	root.AddCommand(newReconstructCommand(g, stdout, stderr))
	root.AddCommand(newInterpolateCommand(g, stdout, stderr))
	root.AddCommand(newExploreCommand(g, stdout, stderr))
	if withModels {
		root.AddCommand(newFitCommand(g, stdout, stderr))
		root.AddCommand(newModelsCommand(stdout))
	}
	// Unknown subcommands are usage errors too.
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	usageArgs(root)
	return root
}

// logger returns the zerolog logger selected by --log-level, writing
// human-readable lines to stderr.
func (g *globalFlags) logger(stderr io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(g.logLevel))
	if err != nil || g.logLevel == "" {
		return zerolog.Nop(), usagef("--log-level: unknown level %q (want debug, info, warn, error or disabled)", g.logLevel)
	}
	w := zerolog.ConsoleWriter{Out: stderr, NoColor: !isTerminal(stderr), TimeFormat: "15:04:05"}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// outputs returns the logger and whether to draw progress bars, as the
// global flags select them.
func (g *globalFlags) outputs(stderr io.Writer) (zerolog.Logger, bool, error) {
	log, err := g.logger(stderr)
	if err != nil {
		return log, false, err
	}
	show, err := g.showProgress(stderr)
	return log, show, err
}

// showProgress reports whether progress bars should be drawn on stderr.
func (g *globalFlags) showProgress(stderr io.Writer) (bool, error) {
	switch g.progress {
	case "auto":
		return isTerminal(stderr), nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, usagef("--progress: unknown value %q (want auto, always or never)", g.progress)
}
