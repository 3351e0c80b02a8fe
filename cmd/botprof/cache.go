package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"botprof/pipeline/cache"
	"botprof/report"
)

const cacheUsage = `usage: botprof cache <command> [flags]

Commands:
  info     entries, size and ages of the stage cache
  verify   check every entry (meta.json, sizes, sha256) and data-file hash memo; --repair removes damaged ones
  gc       remove entries not used for a while (--older-than, default 30d), or --all

Every command takes --dir DIR (default $BOTPROF_CACHE, else .botprof-cache).
`

// runCache runs `botprof cache ...`; args excludes "cache".
func runCache(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cacheUsage)
		return usageError{"cache: missing command (info, verify or gc)"}
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "info":
		return runCacheInfo(ctx, args, stdout, stderr)
	case "verify":
		return runCacheVerify(ctx, args, stdout, stderr)
	case "gc":
		return runCacheGC(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, cacheUsage)
		return nil
	}
	fmt.Fprint(stderr, cacheUsage)
	return usageError{fmt.Sprintf("cache: unknown command %q", cmd)}
}

// cacheFlags parses the flags of one cache command, registered by add.
// It returns the cache directory; -h gives flag.ErrHelp, which main treats
// as success.
func cacheFlags(name string, args []string, stdout io.Writer, add func(fs *flag.FlagSet)) (dir string, err error) {
	fset := flag.NewFlagSet("botprof cache "+name, flag.ContinueOnError)
	fset.SetOutput(stdout)
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "usage: botprof cache %s [flags]\n\nflags:\n", name)
		printDefaults(fset)
	}
	fset.StringVar(&dir, "dir", cache.DefaultDir(), "cache `directory`")
	if add != nil {
		add(fset)
	}
	if err := parseQuiet(fset, args); err != nil {
		return "", err
	}
	if fset.NArg() > 0 {
		return "", usageError{fmt.Sprintf("cache %s: unexpected argument %q", name, fset.Arg(0))}
	}
	return dir, nil
}

// openExistingCache opens the cache at dir; when there is none it says so on
// stdout and returns nil, so that info, verify and gc never create one.
func openExistingCache(dir string, stdout io.Writer) (*cache.Cache, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "no cache at %s\n", dir)
		return nil, nil
	}
	return cache.Open(dir)
}

func runCacheInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	dir, err := cacheFlags("info", args, stdout, nil)
	if err != nil {
		return err
	}
	c, err := openExistingCache(dir, stdout)
	if c == nil || err != nil {
		return err
	}
	st, err := c.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cache     %s\n", dir)
	fmt.Fprintf(stdout, "entries   %d\n", st.Entries)
	fmt.Fprintf(stdout, "size      %s\n", cacheBytes(st.Bytes))
	if st.Entries > 0 {
		now := time.Now()
		fmt.Fprintf(stdout, "oldest    %s\n", cacheWhen(st.Oldest, now))
		fmt.Fprintf(stdout, "newest    %s\n", cacheWhen(st.Newest, now))
	}
	fmt.Fprintf(stdout, "temp      %s, %s\n", report.Count(st.TempDirs, "dir"), cacheBytes(st.TempBytes))
	fmt.Fprintf(stdout, "explain   %s\n", report.Count(st.ExplainRecords, "record"))
	fmt.Fprintf(stdout, "filehash  %s\n", report.Count(st.FileHashes, "data-file hash"))
	return ctx.Err()
}

func runCacheVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var repair bool
	dir, err := cacheFlags("verify", args, stdout, func(fs *flag.FlagSet) {
		fs.BoolVar(&repair, "repair", false, "remove damaged entries")
	})
	if err != nil {
		return err
	}
	c, err := openExistingCache(dir, stdout)
	if c == nil || err != nil {
		return err
	}
	st, err := c.Info()
	if err != nil {
		return err
	}
	problems, err := c.Verify()
	if err != nil {
		return err
	}
	removed := 0
	for _, p := range problems {
		if p.Memo {
			action := ""
			if repair {
				if err := c.RemoveFileHash(p.Path); err != nil {
					return err
				}
				removed++
				action = " (removed; the data file is hashed again on its next run)"
			}
			fmt.Fprintf(stdout, "%s: %s%s\n", p.Path, p.Reason, action)
			continue
		}
		if p.ID == "" {
			fmt.Fprintf(stdout, "%s: %s\n", p.Path, p.Reason)
			continue
		}
		action := ""
		if repair {
			if err := c.Remove(p.ID); err != nil {
				return err
			}
			removed++
			action = " (removed)"
		}
		fmt.Fprintf(stdout, "%s: %s%s\n", p.ID[:12], p.Reason, action)
	}
	fmt.Fprintf(stdout, "verified %s: %s", report.Count(st.Entries, "entry"), report.Count(len(problems), "problem"))
	if repair {
		fmt.Fprintf(stdout, ", %s removed", report.Count(removed, "entry"))
	}
	fmt.Fprintln(stdout)
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(problems) > removed {
		hint := ""
		if !repair {
			hint = " (--repair removes damaged entries)"
		}
		return fmt.Errorf("cache verify: %s in %s%s", report.Count(len(problems)-removed, "problem"), dir, hint)
	}
	return nil
}

func runCacheGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	olderThan := cacheDuration(30 * 24 * time.Hour)
	var all, dryRun bool
	dir, err := cacheFlags("gc", args, stdout, func(fs *flag.FlagSet) {
		fs.Var(&olderThan, "older-than", "remove entries not used for this `duration` (e.g. 72h, 30d)")
		fs.BoolVar(&all, "all", false, "remove every entry")
		fs.BoolVar(&dryRun, "dry-run", false, "list what would be removed, remove nothing")
	})
	if err != nil {
		return err
	}
	if all {
		olderThan = 0
	}
	c, err := openExistingCache(dir, stdout)
	if c == nil || err != nil {
		return err
	}
	now := time.Now()
	if dryRun {
		stale, err := c.Stale(time.Duration(olderThan), now)
		if err != nil {
			return err
		}
		var n int64
		for _, e := range stale {
			n += e.Bytes
			fmt.Fprintf(stdout, "would remove %s  %9s  last used %s\n", e.ID[:12], cacheBytes(e.Bytes), cacheWhen(e.LastUse, now))
		}
		fmt.Fprintf(stdout, "would remove %s, %s\n", report.Count(len(stale), "entry"), cacheBytes(n))
		return ctx.Err()
	}
	removed, freed, err := c.GC(time.Duration(olderThan), now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed %s, freed %s\n", report.Count(removed, "entry"), cacheBytes(freed))
	return ctx.Err()
}

// cacheDuration is a flag value accepting Go durations and whole or
// fractional days ("30d").
type cacheDuration time.Duration

// String prints whole days as "30d" (the form Set accepts), else Go's form.
func (d *cacheDuration) String() string {
	v := time.Duration(*d)
	if v > 0 && v%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", v/(24*time.Hour))
	}
	return v.String()
}

func (d *cacheDuration) Set(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		f, err := strconv.ParseFloat(days, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("bad duration %q", s)
		}
		*d = cacheDuration(f * float64(24*time.Hour))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("bad duration %q", s)
	}
	*d = cacheDuration(v)
	return nil
}

// cacheBytes formats n in decimal units.
func cacheBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// cacheWhen formats a time of use with its age.
func cacheWhen(t, now time.Time) string {
	age := now.Sub(t).Round(time.Minute)
	var ago string
	switch {
	case age >= 48*time.Hour:
		ago = fmt.Sprintf("%d days ago", int(age/(24*time.Hour)))
	case age >= time.Hour:
		ago = fmt.Sprintf("%dh%02dm ago", int(age/time.Hour), int(age%time.Hour/time.Minute))
	case age >= time.Minute:
		ago = fmt.Sprintf("%dm ago", int(age/time.Minute))
	default:
		ago = "just now"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC") + " (" + ago + ")"
}
