package doctest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docFiles are the Markdown files whose commands are run, as glob patterns
// relative to the repository root.
var docFiles = []string{"README.md", "docs/*.md", "examples/README.md", "examples/*/README.md"}

// commandTimeout bounds a single command; the documented commands take
// seconds.
const commandTimeout = 2 * time.Minute

var (
	repoRoot   string // absolute path of the repository root
	binDir     string // holds the built vitool binary
	registered map[string]bool
	topLevel   []string // the repository's top-level entries that commands see
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctest:", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		fmt.Fprintln(os.Stderr, "doctest: repository root not found:", err)
		return 1
	}
	repoRoot = root
	if topLevel, err = trackedTopLevel(root); err != nil {
		fmt.Fprintln(os.Stderr, "doctest:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "vitool-doctest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "vitool"), "./cmd/vitool")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "doctest: building vitool: %v\n%s", err, out)
		return 1
	}
	registered, err = listCommands()
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctest:", err)
		return 1
	}
	return m.Run()
}

// listCommands returns the subcommands that "vitool --help" lists.
func listCommands() (map[string]bool, error) {
	out, err := exec.Command(filepath.Join(binDir, "vitool"), "--help").Output()
	if err != nil {
		return nil, fmt.Errorf("vitool --help: %v", err)
	}
	cmds := map[string]bool{}
	in := false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "Available Commands:"):
			in = true
		case in && strings.TrimSpace(line) == "":
			in = false
		case in:
			if f := strings.Fields(line); len(f) > 0 {
				cmds[f[0]] = true
			}
		}
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("vitool --help lists no commands:\n%s", out)
	}
	return cmds, nil
}

// block is one fenced code block of a Markdown file.
type block struct {
	line       int    // line number of the opening fence
	lang       string // the info string's first word
	annotation string // the doctest annotation before it, if any
	lines      []string
}

var annotationRE = regexp.MustCompile(`^<!--\s*doctest:\s*(.*?)\s*-->$`)

// parseBlocks returns the fenced code blocks of a Markdown document.
func parseBlocks(src string) []block {
	var out []block
	var cur *block
	var fence, lastNonBlank string
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur != nil {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				out = append(out, *cur)
				cur = nil
				lastNonBlank = ""
				continue
			}
			cur.lines = append(cur.lines, line)
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			for len(fence) < len(trimmed) && trimmed[len(fence)] == fence[0] {
				fence += fence[:1]
			}
			info := strings.Fields(strings.TrimSpace(trimmed[len(fence):]))
			b := block{line: n}
			if len(info) > 0 {
				b.lang = info[0]
			}
			if m := annotationRE.FindStringSubmatch(lastNonBlank); m != nil {
				b.annotation = m[1]
			}
			cur = &b
			continue
		}
		if trimmed != "" {
			lastNonBlank = trimmed
		}
	}
	return out
}

// command is one vitool command found in a Markdown file.
type command struct {
	line   int    // line number in the file
	text   string // as written, continuation lines joined
	script string // what sh runs
	sub    string // the subcommand ("" for the root command)
	skip   string // reason to skip, if any
	exit   int    // expected exit code
	prog   string // a user program built on package cli ("./examples/…/cmd/NAME"), "" for vitool
	short  string // arguments appended to script under -short (a cheaper run of a slow command)
}

// userProgRE matches "go run" of a user's own program built on package cli,
// which has vitool's commands plus the models it registers.
var userProgRE = regexp.MustCompile(`^go run (\./examples/[A-Za-z0-9_.-]+/cmd/([A-Za-z0-9_-]+))`)

// mkdirRE matches a "mkdir" of relative folders, which a tutorial runs to
// create the folder its commands write to.
var mkdirRE = regexp.MustCompile(`^mkdir( -p)?( [A-Za-z0-9_./-]+)+$`)

// lineAnnotationRE matches a trailing "# doctest: skip (reason)" or
// "# doctest: exit N" comment.
var lineAnnotationRE = regexp.MustCompile(`\s+#\s*doctest:\s*(skip\b\s*(.*)|exit\s+([0-9]+))\s*$`)

// commands returns the vitool commands of blocks, and the files to write
// before running them (name → content).
func commands(blocks []block) ([]command, map[string]string, error) {
	var cmds []command
	files := map[string]string{}
	for _, b := range blocks {
		ann := b.annotation
		switch {
		case ann == "ignore":
			continue
		case strings.HasPrefix(ann, "file "):
			name := strings.TrimSpace(strings.TrimPrefix(ann, "file "))
			if name == "" || filepath.IsAbs(name) || strings.Contains(name, "..") {
				return nil, nil, fmt.Errorf("line %d: bad file annotation %q (want a relative name)", b.line, ann)
			}
			files[name] = strings.Join(b.lines, "\n") + "\n"
			continue
		case ann != "" && !strings.HasPrefix(ann, "skip") && !strings.HasPrefix(ann, "short "):
			return nil, nil, fmt.Errorf("line %d: unknown doctest annotation %q (want skip (reason), short ARGS, file NAME or ignore)", b.line, ann)
		}
		if b.lang != "sh" && b.lang != "bash" && b.lang != "shell" {
			continue
		}
		blockSkip, blockShort := "", ""
		switch {
		case strings.HasPrefix(ann, "skip"):
			blockSkip = reason(strings.TrimPrefix(ann, "skip"), "marked skip")
		case strings.HasPrefix(ann, "short "):
			blockShort = strings.TrimSpace(strings.TrimPrefix(ann, "short "))
			if blockShort == "" || strings.ContainsAny(blockShort, shellMeta) {
				return nil, nil, fmt.Errorf("line %d: bad short annotation %q (want arguments to append, without %s)", b.line, ann, shellMeta)
			}
		}
		for i := 0; i < len(b.lines); i++ {
			start := b.line + 1 + i
			text := strings.TrimSpace(b.lines[i])
			for strings.HasSuffix(text, `\`) && i+1 < len(b.lines) {
				i++
				text = strings.TrimSpace(strings.TrimSuffix(text, `\`)) + " " + strings.TrimSpace(b.lines[i])
			}
			text = strings.TrimPrefix(text, "$ ")
			var rest, prog, name string
			if mkdirRE.MatchString(text) {
				// A tutorial creating its output folder.
				cmds = append(cmds, command{line: start, text: text, script: text, skip: blockSkip})
				continue
			}
			switch {
			case userProgRE.MatchString(text):
				m := userProgRE.FindStringSubmatch(text)
				prog, name = m[1], m[2]
				rest = strings.TrimPrefix(text, m[0])
			case strings.HasPrefix(text, "go run ./cmd/vitool"):
				rest = strings.TrimPrefix(text, "go run ./cmd/vitool")
			case strings.HasPrefix(text, "vitool"):
				rest = strings.TrimPrefix(text, "vitool")
			default:
				continue
			}
			if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
				continue // e.g. "vitoolx"
			}
			c := command{line: start, text: text, skip: blockSkip, prog: prog, short: blockShort}
			if m := lineAnnotationRE.FindStringSubmatch(text); m != nil {
				if m[3] != "" {
					c.exit, _ = strconv.Atoi(m[3])
				} else {
					c.skip = reason(m[2], "marked skip")
				}
				c.text = strings.TrimSpace(strings.TrimSuffix(text, m[0]))
				rest = strings.TrimSpace(strings.TrimSuffix(rest, m[0]))
			}
			if name == "" {
				name = "vitool"
			}
			c.script = strings.TrimSpace(name + " " + strings.TrimSpace(rest))
			c.sub = subcommand(strings.Fields(rest))
			if c.short != "" && strings.ContainsAny(c.script, shellMeta) {
				return nil, nil, fmt.Errorf("line %d: %s: a short annotation cannot append arguments to a command with %s", start, c.text, shellMeta)
			}
			cmds = append(cmds, c)
		}
	}
	return cmds, files, nil
}

// shellMeta are the characters after which appended arguments would not
// reach the command.
const shellMeta = "|;&<>#"

// reason returns the text of a skip annotation without its parentheses, or
// def when it is empty.
func reason(s, def string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	if s == "" {
		return def
	}
	return s
}

// subcommand returns the first non-flag argument of a vitool command line
// (the command after "help"), or "" for the root command.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--log-level" || a == "--progress":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
		case a == "help":
			continue
		case strings.ContainsAny(a, "|;&<>#"):
			return ""
		default:
			return a
		}
	}
	return ""
}

func TestDocCommands(t *testing.T) {
	var paths []string
	for _, pat := range docFiles {
		m, err := filepath.Glob(filepath.Join(repoRoot, pat))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatal("no documentation files found")
	}
	total := 0
	for _, p := range paths {
		rel, _ := filepath.Rel(repoRoot, p)
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cmds, files, err := commands(parseBlocks(string(src)))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(cmds) == 0 {
			continue
		}
		total += len(cmds)
		t.Run(rel, func(t *testing.T) { runFile(t, rel, cmds, files) })
	}
	if total == 0 {
		t.Fatal("found no vitool commands in the documentation")
	}
}

// runFile runs the commands of one Markdown file in order, in a fresh
// working directory.
func runFile(t *testing.T, rel string, cmds []command, files map[string]string) {
	work := newWorkDir(t)
	for name, content := range files {
		dst := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		name := fmt.Sprintf("line%d", c.line)
		t.Run(name, func(t *testing.T) {
			switch {
			case c.skip != "":
				t.Skipf("%s:%d: %s\n    skipped: %s", rel, c.line, c.text, c.skip)
			case c.prog == "" && c.sub != "" && !registered[c.sub]:
				t.Fatalf("%s:%d: %s\n    vitool has no %q command", rel, c.line, c.text, c.sub)
			}
			if c.prog != "" {
				buildProgram(t, c.prog)
			}
			if testing.Short() && c.short != "" {
				c.script += " " + c.short
				t.Logf("%s:%d: -short: running %s", rel, c.line, c.script)
			}
			runCommand(t, rel, work, c)
		})
	}
}

// built records the user programs already built into binDir.
var built = map[string]bool{}

// buildProgram builds the user program at the repository path prog (a main
// package) into binDir, once.
func buildProgram(t *testing.T, prog string) {
	if built[prog] {
		return
	}
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, filepath.Base(prog)), prog)
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", prog, err, out)
	}
	built[prog] = true
}

// newWorkDir returns a temporary directory holding symbolic links to the
// top-level entries of the repository that git tracks, so that repository
// paths resolve while new files land in the temporary directory, and
// whatever a user left in the working tree (a run/ folder from the README,
// a model file) is not seen.
func newWorkDir(t *testing.T) string {
	work := t.TempDir()
	if err := linkEntries(work, repoRoot, topLevel); err != nil {
		t.Fatal(err)
	}
	return work
}

// linkEntries creates in dir a symbolic link to root/name for each name.
func linkEntries(dir, root string, names []string) error {
	for _, name := range names {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// trackedTopLevel returns the sorted top-level names (files and folders) of
// the paths that git tracks in the repository at root, and of none other:
// untracked outputs of the documented commands are left out. Without git
// (a source archive, say) it returns every top-level entry but .git.
func trackedTopLevel(root string) ([]string, error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		entries, err := os.ReadDir(root)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if e.Name() != ".git" {
				names = append(names, e.Name())
			}
		}
		return names, nil
	}
	seen := map[string]bool{}
	var names []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p == "" {
			continue
		}
		name, _, _ := strings.Cut(p, "/")
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("git ls-files in %s lists no files", root)
	}
	sort.Strings(names)
	return names, nil
}

func runCommand(t *testing.T, rel, work string, c command) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", c.script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code, err = ee.ExitCode(), nil
	}
	if err == nil && code != c.exit {
		err = fmt.Errorf("exit code %d, want %d", code, c.exit)
	}
	if err != nil {
		t.Fatalf("%s:%d: %s\n    failed after %v: %v\n--- stderr:\n%s\n--- stdout:\n%s",
			rel, c.line, c.text, elapsed.Round(time.Millisecond), err, tail(stderr.String()), tail(stdout.String()))
	}
	t.Logf("%s:%d: %s (%v)", rel, c.line, c.text, elapsed.Round(time.Millisecond))
	if c.exit == 0 && strings.Contains(c.script, " --json") && !strings.ContainsAny(c.script, ">|") && !json.Valid(stdout.Bytes()) {
		t.Errorf("%s:%d: %s\n    --json output is not valid JSON:\n%s", rel, c.line, c.text, tail(stdout.String()))
	}
}

// tail returns the last few kilobytes of s.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}
