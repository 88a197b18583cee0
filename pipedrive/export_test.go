package pipedrive

// TestToken is the API token of every test, internal and external (helpers_test.go's
// testToken): 40 hex digits, like a real one, so a search for it means what it says.
const TestToken = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
