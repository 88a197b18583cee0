package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	info, _ := debug.ReadBuildInfo() // a test binary has one, without VCS settings
	want := versionText(info)
	require.True(t, strings.HasPrefix(want, "pipedrive-files version "+pipedrive.Version+"\n"), want)
	for _, arg := range []string{"version", "--version", "-version"} {
		r := runWith(t, nil, arg)
		require.Equal(t, exitOK, r.code, arg)
		assert.Equal(t, want, r.stdout, arg)
		assert.Empty(t, r.stderr, arg)
		assert.Empty(t, r.dialed, arg)
	}
	r := runWith(t, nil, "help", "version")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: pipedrive-files version\n")
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	first := "pipedrive-files version " + pipedrive.Version + "\n"
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, first},
		{"go install of a release", &debug.BuildInfo{
			GoVersion: "go1.26.0",
			Main:      debug.Module{Path: "github.com/e97b4d80/pipedrive-remote-files", Version: "v0.2.0"},
			Settings: []debug.BuildSetting{
				{Key: "-trimpath", Value: "true"},
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-11-29T21:00:00Z"},
				{Key: "vcs.modified", Value: "false"},
			},
		}, first +
			"  module    github.com/e97b4d80/pipedrive-remote-files v0.2.0\n" +
			"  revision  0123456789abcdef0123456789abcdef01234567 (2026-11-29T21:00:00Z)\n" +
			"  go        go1.26.0\n"},
		{"build from a modified checkout", &debug.BuildInfo{
			GoVersion: "go1.26.1",
			Main:      debug.Module{Path: "github.com/e97b4d80/pipedrive-remote-files", Version: "(devel)"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abc123"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, first +
			"  module    github.com/e97b4d80/pipedrive-remote-files (devel)\n" +
			"  revision  abc123 (modified)\n" +
			"  go        go1.26.1\n"},
		{"nothing recorded", &debug.BuildInfo{}, first},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, versionText(tc.info))
		})
	}
}
