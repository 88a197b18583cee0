package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// runVersion prints the library version and what the binary records about its build.
func runVersion(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
			fmt.Fprint(stdout, "Usage: pipedrive-files version\n\nPrints the library version and, when the binary records them, the module version,\nthe VCS revision it was built from and the Go version. Also: pipedrive-files --version.\n")
			return exitOK
		}
		return report(stderr, "version", usagef("version takes no arguments, got %q", args[0]))
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info))
	return exitOK
}

// versionText is pipedrive.Version, then from info (nil when the binary has none) the
// module's version ("(devel)" for a build from a checkout), the VCS revision with its time
// and whether the tree had changes, and the Go version; each line only when known.
func versionText(info *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipedrive-files version %s\n", pipedrive.Version)
	if info == nil {
		return b.String()
	}
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-9s %s\n", label, value)
		}
	}
	line("module", strings.TrimSpace(info.Main.Path+" "+info.Main.Version))
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		var notes []string
		if t := settings["vcs.time"]; t != "" {
			notes = append(notes, t)
		}
		if settings["vcs.modified"] == "true" {
			notes = append(notes, "modified")
		}
		if len(notes) > 0 {
			rev += " (" + strings.Join(notes, ", ") + ")"
		}
		line("revision", rev)
	}
	line("go", info.GoVersion)
	return b.String()
}
