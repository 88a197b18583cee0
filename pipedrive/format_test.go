package pipedrive_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// everyVerb is every verb fmt knows, with and without flags, and some it does not: fmt
// prints a pointer it cannot format with the verb (%s, %q, %t, %U, %e, ...) through its
// bad-verb path, which shows what the pointer points to.
var everyVerb = []string{
	"%v", "%+v", "%#v", "%T", "%t", "%b", "%c", "%d", "%o", "%O", "%q", "%x", "%X", "%U",
	"%e", "%E", "%f", "%F", "%g", "%G", "%s", "%p", "%w", "%z", "%!", "%10.3v", "%-8s",
	"%+q", "%#q", "%#x", "% x", "%#U", "%+s", "%#s", "%08.3f",
}

// clientHolder holds clients by value, exported and not, at several depths, as a caller's
// configuration struct might.
type clientHolder struct {
	C      pipedrive.Client
	hidden pipedrive.Client
	Nested struct {
		Deep   []pipedrive.Client
		byName map[string]pipedrive.Client
		Ptr    *pipedrive.Client
		any    any
	}
}

// setUnexported sets a field reflect cannot set (an unexported one) to v.
func setUnexported(field, v reflect.Value) {
	reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem().Set(v)
}

// holding returns a holder whose every client field is a copy of *c, built through
// reflect: a copy of a Client copies its mutex, which vet would (rightly) flag in code.
func holding(c *pipedrive.Client) *clientHolder {
	val := reflect.ValueOf(c).Elem()
	h := &clientHolder{}
	hv := reflect.ValueOf(h).Elem()
	hv.FieldByName("C").Set(val)
	setUnexported(hv.FieldByName("hidden"), val)
	nested := hv.FieldByName("Nested")
	nested.FieldByName("Deep").Set(reflect.Append(reflect.MakeSlice(reflect.TypeFor[[]pipedrive.Client](), 0, 1), val))
	m := reflect.MakeMap(reflect.TypeFor[map[string]pipedrive.Client]())
	m.SetMapIndex(reflect.ValueOf("k"), val)
	setUnexported(nested.FieldByName("byName"), m)
	nested.FieldByName("Ptr").Set(reflect.ValueOf(c))
	setUnexported(nested.FieldByName("any"), reflect.ValueOf(val.Interface()))
	return h
}

// A dereferenced Client (fmt.Sprintf("%s", *client)), or a struct holding one by value at
// any depth, prints no token under any verb, in every auth mode: the credential's secrets
// sit behind a pointer that fmt never follows, so only an address can print.
func TestDereferencedClientPrintsNoTokenUnderAnyVerb(t *testing.T) {
	t.Parallel()
	for _, mode := range tokenModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, replyJSON(200, minimalSuccessJSON))
			c := mode.client(t, api.baseURL())
			// After a call, so that an OAuth client has fetched (and remembers) its token.
			_, err := createDoc(t.Context(), c)
			require.NoError(t, err)

			value := reflect.ValueOf(c).Elem().Interface() // *c, without vet's copylocks
			h := holding(c)
			require.NotNil(t, h.hidden.Files, "the unexported field holds the copy")
			values := map[string]any{
				"*client":            value,
				"[]any{*client}":     []any{value},
				"&holder":            h,
				"holder":             reflect.ValueOf(h).Elem().Interface(),
				"holder.Nested.Deep": h.Nested.Deep,
			}
			for name, v := range values {
				for _, verb := range everyVerb {
					out := fmt.Sprintf(verb, v)
					for _, piece := range secretPieces(testToken) {
						if strings.Contains(out, piece) {
							t.Fatalf("fmt.Sprintf(%q, %s) shows %q, a piece of the token: %s", verb, name, piece, out)
						}
					}
				}
			}
		})
	}
}
