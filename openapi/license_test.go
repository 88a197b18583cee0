package openapi_test

import (
	"os"
	"testing"

	"github.com/google/licensecheck"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
)

// pkg.go.dev shows a module's documentation only when licensecheck recognises its
// LICENSE as licenses it accepts covering at least 75% of the file (pkgsite's threshold),
// and the spec's info.license must name the same license. The scanner knows only MIT, the
// license we mean: building it with all of licensecheck's licenses takes 20 s under -race.
func TestLicenseIsMITAndSpecAgrees(t *testing.T) {
	text, err := os.ReadFile("../LICENSE")
	require.NoError(t, err, "the module needs a LICENSE file at its root")

	var mit []licensecheck.License
	for _, l := range licensecheck.BuiltinLicenses() {
		if l.ID == "MIT" {
			mit = append(mit, l)
		}
	}
	require.NotEmpty(t, mit)
	scanner, err := licensecheck.NewScanner(mit)
	require.NoError(t, err)
	cov := scanner.Scan(text)
	require.GreaterOrEqual(t, cov.Percent, 75.0, "pkg.go.dev would not recognise the LICENSE as MIT")
	require.Len(t, cov.Match, 1, "the MIT text once")
	require.Equal(t, "MIT", cov.Match[0].ID)
	require.Contains(t, string(text), "Copyright (c) 2026 The pipedrive-remote-files authors")

	doc, err := load(t, openapi.Spec())
	require.NoError(t, err)
	require.NotNil(t, doc.Info.License)
	require.Equal(t, cov.Match[0].ID, doc.Info.License.Name, "info.license in the spec")
}
