package openapi_test

import (
	"os"
	"testing"

	"github.com/google/licensecheck"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
)

// pkg.go.dev shows a module's documentation only when licensecheck recognises its
// LICENSE as a known license covering at least 75% of the file (pkgsite's threshold),
// and the spec's info.license must name the same license.
func TestLicenseIsMITAndSpecAgrees(t *testing.T) {
	text, err := os.ReadFile("../LICENSE")
	require.NoError(t, err, "the module needs a LICENSE file at its root")

	cov := licensecheck.Scan(text)
	require.GreaterOrEqual(t, cov.Percent, 75.0, "pkg.go.dev would not recognise the LICENSE")
	require.Len(t, cov.Match, 1, "one license, not a mix")
	require.Equal(t, "MIT", cov.Match[0].ID)
	require.Contains(t, string(text), "Copyright (c) 2026 The pipedrive-remote-files authors")

	doc, err := load(t, openapi.Spec())
	require.NoError(t, err)
	require.NotNil(t, doc.Info.License)
	require.Equal(t, cov.Match[0].ID, doc.Info.License.Name, "info.license in the spec")
}
