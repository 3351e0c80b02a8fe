package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"botprof/pipeline"
)

// usageError marks errors in how botprof was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `botprof — botnet host profiling with hidden Markov models

usage:
  botprof run SPEC [flags]       run an experiment spec (see botprof run --help)
  botprof validate SPEC [flags]  parse and check a spec, print its points
  botprof diff A B [flags]       compare two results folders (statistics over seeds)
  botprof show RUN               print one run's summary
  botprof ls [DIR]               list runs under DIR (default results/)
  botprof cache info|verify|gc   inspect or clean the stage cache
  botprof slurm SPEC --shards N  run a sweep as a Slurm job array plus a collect job
  botprof k8s SPEC --shards N    write a Kubernetes Indexed Job and a collect Job
  botprof version                print the version (also --version)
  botprof help CMD               help of one command (= botprof CMD --help)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(ctx, err, os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode maps an error to botprof's exit status: 0 success, 2 usage
// (bad flags, a bad spec or --set), 130 interrupted, 1 anything else.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "botprof:", err)
	var ue usageError
	var se *pipeline.SpecError
	switch {
	case errors.As(err, &ue), errors.As(err, &se):
		return 2
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runRun(ctx, rest, stdout, stderr)
	case "validate":
		return runValidate(ctx, rest, stdout, stderr)
	case "diff":
		return runDiff(ctx, rest, stdout, stderr)
	case "show":
		return runShow(ctx, rest, stdout, stderr)
	case "ls":
		return runLs(ctx, rest, stdout, stderr)
	case "cache":
		return runCache(ctx, rest, stdout, stderr)
	case "slurm":
		return runSlurm(ctx, rest, stdout, stderr)
	case "k8s":
		return runK8s(ctx, rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "botprof", versionString())
		return nil
	case "help", "-h", "--help":
		if len(rest) > 0 && cmd == "help" {
			// botprof help CMD is botprof CMD --help.
			return run(ctx, []string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// parseQuiet is fs.Parse without the flag package's own printing: help is
// printed by fs.Usage to fs.Output(), errors become usage errors.
func parseQuiet(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return usageError{fmt.Sprintf("%s: %s (see %s --help)", fs.Name(), doubleDash.Replace(err.Error()), fs.Name())}
	}
	return nil
}

// doubleDash rewrites the flag package's errors ("invalid value "abc" for
// flag -jobs") to name flags as the help and the README write them.
var doubleDash = strings.NewReplacer(
	"provided but not defined: -", "provided but not defined: --",
	"for flag -", "for flag --",
	"needs an argument: -", "needs an argument: --",
	"\" for -", "\" for --", // invalid boolean value "x" for -quiet
)

// parseArgs parses flags that may stand before, between or after the
// positional arguments, and returns the positional ones.
// Help (--help, -h) goes to the flag set's output (stdout) and is no error
// to the user (exit 0); a bad flag is one line naming the command's help,
// not the help itself (exit 2).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseQuiet(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printDefaults is flag.PrintDefaults with the double-dash spelling the
// README and the error messages use: "--jobs int" and its help indented
// below, "(default ...)" when the default is not the zero value.
func printDefaults(fs *flag.FlagSet) {
	out := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(out, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "[]" {
			fmt.Fprintf(out, " (default %q)", d)
		}
		fmt.Fprintln(out)
	})
}
