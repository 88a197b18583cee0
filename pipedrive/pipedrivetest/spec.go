package pipedrivetest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/e97b4d80/pipedrive-remote-files/openapi"
)

// spec is the project's OpenAPI document with a route per operation.
type spec struct {
	// routes holds each path's operations by method, the path under BasePath as the
	// spec writes it, e.g. "/files/remote" or "/files/{id}".
	routes map[string]map[string]*route
}

// route is one operation of the spec, with what it costs.
type route struct {
	*routers.Route
	cost int // the operation's x-token-cost: what Pipedrive charges against the daily budget
}

// methods are the methods the spec may use, in the order a 405 lists them.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

// loadSpec parses the embedded spec. Each Server has its own copy: nothing is shared
// between servers. Every operation must declare its token cost (x-token-cost).
func loadSpec() (*spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	if err != nil {
		return nil, fmt.Errorf("pipedrivetest: loading the embedded OpenAPI spec: %w", err)
	}
	sp := &spec{routes: make(map[string]map[string]*route)}
	for path, item := range doc.Paths.Map() {
		for _, method := range methods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			cost, ok := op.Extensions["x-token-cost"].(float64)
			if !ok || cost < 0 || cost != float64(int(cost)) {
				return nil, fmt.Errorf("pipedrivetest: the embedded OpenAPI spec gives %s %s no x-token-cost", method, path)
			}
			if sp.routes[path] == nil {
				sp.routes[path] = make(map[string]*route)
			}
			sp.routes[path][method] = &route{Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}, cost: int(cost)}
		}
	}
	if len(sp.routes) == 0 {
		return nil, errors.New("pipedrivetest: the embedded OpenAPI spec has no operation")
	}
	return sp, nil
}

// operation finds the route for a request: 404 for a path the spec does not have (or
// one outside BasePath), 405 for a method it does not allow there, with the methods it
// allows.
func (sp *spec) operation(method, path string, underBase bool) (*route, int, []string) {
	ops := sp.routes[path]
	if ops == nil {
		ops = sp.routes[pathTemplate(path)]
	}
	if !underBase || ops == nil {
		return nil, http.StatusNotFound, nil
	}
	if r := ops[method]; r != nil {
		return r, http.StatusOK, nil
	}
	var allowed []string
	for _, m := range methods {
		if ops[m] != nil {
			allowed = append(allowed, m)
		}
	}
	return nil, http.StatusMethodNotAllowed, allowed
}

// Authentication failures, told apart in the 401 message.
var (
	errNoCredential = errors.New("no credential")
	errWrongToken   = errors.New("token not accepted")
)

// check authenticates and validates the request against the route's operation. It
// returns the body as a form body (see asForm), or the reply for a request that fails.
func (s *Server) check(r *http.Request, body []byte, route *routers.Route) ([]byte, reply, bool) {
	hasBody := route.Operation.RequestBody != nil
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		if _, ok := bearerToken(auth[0]); !ok || len(auth) > 1 {
			// Pipedrive documents 400 for a malformed Authorization header.
			return nil, errorReply(http.StatusBadRequest, "Malformed Authorization header: expected \"Bearer <token>\""), true
		}
	}
	req := r.Clone(r.Context())
	body, converted, problem := asForm(r.Header.Get("Content-Type"), body)
	if converted {
		req.Header.Set("Content-Type", formType)
	}
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body = readCloser{bytes.NewReader(body)}
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams(route, strings.TrimPrefix(r.URL.Path, BasePath)),
		Route:      route,
		// A body that does not decode is refused once the credential has been checked.
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: s.authenticate, ExcludeRequestBody: problem != ""},
	}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	var secErr *openapi3filter.SecurityRequirementsError
	switch {
	case errors.As(err, &secErr):
		if errors.Is(secErr, errWrongToken) {
			return nil, errorReply(http.StatusUnauthorized, "unauthorized access"), true
		}
		return nil, errorReply(http.StatusUnauthorized, "You need to be authorized to make this request."), true
	case unsupportedContentType(err):
		// Not 415: Pipedrive documents 415 as "Feature is not enabled".
		return nil, errorReply(http.StatusBadRequest, fmt.Sprintf(
			"Unsupported content type %q: send the body as application/x-www-form-urlencoded, application/json or multipart/form-data",
			r.Header.Get("Content-Type"))), true
	case problem != "":
		return nil, errorReply(http.StatusBadRequest, "Invalid input: "+problem), true
	}
	if !hasBody {
		rep, failed := queryCheck(err)
		return body, rep, failed
	}
	problems := fieldProblems(err, route, body)
	problems = append(problems, unexpectedFields(body, route)...)
	if len(problems) > 0 {
		return nil, errorReply(http.StatusBadRequest, "Invalid input: "+strings.Join(problems, "; ")), true
	}
	return body, reply{}, false
}

// authenticate checks one security scheme of the spec against the server's token.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	scheme := in.SecurityScheme
	var got string
	switch {
	case scheme.Type == "apiKey" && scheme.In == "header":
		got = r.Header.Get(scheme.Name)
	case scheme.Type == "apiKey" && scheme.In == "query":
		got = r.URL.Query().Get(scheme.Name)
	case scheme.Type == "oauth2", scheme.Type == "http" && strings.EqualFold(scheme.Scheme, "bearer"):
		got, _ = bearerToken(r.Header.Get("Authorization"))
	}
	switch {
	case got == "":
		return in.NewError(errNoCredential)
	case subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1:
		return in.NewError(errWrongToken)
	}
	return nil
}

// bearerToken reads "Bearer <token>"; ok is false for anything else.
func bearerToken(h string) (string, bool) {
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != "" && !strings.ContainsAny(tok, " \t")
}

// unsupportedContentType reports whether validation failed on the Content-Type header.
func unsupportedContentType(err error) bool {
	for _, l := range leaves(err, "") {
		var re *openapi3filter.RequestError
		if errors.As(l.err, &re) && re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value") {
			return true
		}
	}
	return false
}

// fieldProblems turns validation errors into "field - reason" texts, sorted by field.
func fieldProblems(err error, route *routers.Route, body []byte) []string {
	if err == nil {
		return nil
	}
	schema := formSchema(route)
	var out []string
	for _, leaf := range leaves(err, "") {
		var (
			se *openapi3.SchemaError
			pe *openapi3filter.ParseError
			re *openapi3filter.RequestError
		)
		switch {
		case leaf.param != "": // a path or query parameter, such as PUT /files/{id}'s id
			out = append(out, paramProblem(leaf))
		case errors.As(leaf.err, &se):
			out = append(out, schemaProblem(se))
		case errors.As(leaf.err, &pe):
			out = append(out, parseProblem(pe, schema, body))
		case errors.Is(leaf.err, openapi3filter.ErrInvalidRequired):
			out = append(out, "the request body is empty; required fields: "+strings.Join(schema.Required, ", "))
		case errors.As(leaf.err, &re):
			out = append(out, re.Error())
		default:
			out = append(out, leaf.err.Error())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// leaf is one problem in a kin-openapi error tree, with the parameter it is about ("" for
// the body, or when no enclosing error names one).
type leaf struct {
	err   error
	param string
}

// leaves flattens the trees kin-openapi returns (MultiError, RequestError wrapping
// MultiError) into the errors that describe one problem each; param is the parameter
// the enclosing error is about. The one walker of those trees, for bodies and queries.
func leaves(err error, param string) []leaf {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []leaf
		for _, inner := range e {
			out = append(out, leaves(inner, param)...)
		}
		return out
	case *openapi3filter.RequestError:
		if e.Parameter != nil {
			param = e.Parameter.Name
		}
		if _, multi := e.Err.(openapi3.MultiError); multi {
			return leaves(e.Err, param)
		}
	}
	return []leaf{{err: err, param: param}}
}

// schemaProblem describes a schema violation as "field - reason".
func schemaProblem(se *openapi3.SchemaError) string {
	field := strings.Join(se.JSONPointer(), ".")
	var reason string
	switch se.SchemaField {
	case "required":
		reason = "This field is required."
	case "enum":
		allowed := make([]string, len(se.Schema.Enum))
		for i, v := range se.Schema.Enum {
			allowed[i] = fmt.Sprintf("%q", v)
		}
		reason = fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), fmt.Sprint(se.Value))
	case "pattern":
		reason = fmt.Sprintf("must match the pattern %s, got %q", se.Schema.Pattern, fmt.Sprint(se.Value))
	default:
		reason = se.Reason
	}
	if field == "" {
		return reason
	}
	return field + " - " + reason
}

// parseProblem describes a value that could not be decoded into its schema type.
func parseProblem(pe *openapi3filter.ParseError, schema *openapi3.Schema, body []byte) string {
	path := pe.Path()
	if len(path) == 0 {
		return "the form body could not be decoded: " + pe.Error()
	}
	field := fmt.Sprint(path[0])
	if prop := schema.Properties[field]; prop != nil && prop.Value.Type.Is(openapi3.TypeInteger) {
		form, _ := url.ParseQuery(string(body))
		return field + " - must be an integer, got " + fmt.Sprintf("%q", form.Get(field))
	}
	return field + " - could not be decoded: " + pe.Error()
}

// unexpectedFields reports form keys the schema does not have, in Pipedrive's words, and
// keys given more than once. openapi3filter's form decoder skips both silently.
func unexpectedFields(body []byte, route *routers.Route) []string {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil // the decoder has already reported it
	}
	schema := formSchema(route)
	var out []string
	for key, vals := range form {
		switch {
		case schema.Properties[key] == nil:
			out = append(out, key+" - This field was not expected.")
		case len(vals) > 1:
			out = append(out, key+" - This field was given more than once.")
		}
	}
	slices.Sort(out)
	return out
}

// formSchema is the operation's form body schema.
func formSchema(route *routers.Route) *openapi3.Schema {
	return route.Operation.RequestBody.Value.Content.Get(formType).Schema.Value
}

// readCloser gives a bytes.Reader a no-op Close.
type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
