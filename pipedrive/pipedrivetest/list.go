package pipedrivetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// defaultPageSize is the limit Pipedrive applies when a list request gives none.
const defaultPageSize = 100

// itemFilesPath matches the paths of the three GETs that list an item's files.
var itemFilesPath = regexp.MustCompile(`^/(deals|persons|organizations)/([^/]+)/files$`)

// pathTemplate is the spec's path for a concrete one, e.g. "/deals/{id}/files" for
// "/deals/12/files"; "" when path is not an item's file list.
func pathTemplate(path string) string {
	m := itemFilesPath.FindStringSubmatch(path)
	if m == nil {
		return ""
	}
	return "/" + m[1] + "/{id}/files"
}

// pathParams are the values of the route's path parameters in path, for validation.
func pathParams(route *routers.Route, path string) map[string]string {
	m := itemFilesPath.FindStringSubmatch(path)
	if m == nil || route.Path != pathTemplate(path) {
		return nil
	}
	return map[string]string{"id": m[2]}
}

// itemTypeOf maps a list path's collection to the item type.
func itemTypeOf(collection string) pipedrive.ItemType {
	switch collection {
	case "persons":
		return pipedrive.ItemPerson
	case "organizations":
		return pipedrive.ItemOrganization
	}
	return pipedrive.ItemDeal
}

// queryCheck turns the validation errors of a GET into a 400 naming each parameter.
func queryCheck(err error) (reply, bool) {
	if err == nil {
		return reply{}, false
	}
	var problems []string
	for _, l := range leaves(err, "") {
		problems = append(problems, paramProblem(l))
	}
	slices.Sort(problems)
	return errorReply(http.StatusBadRequest, "Invalid input: "+strings.Join(slices.Compact(problems), "; ")), true
}

// paramProblem describes one leaf as "parameter - reason".
func paramProblem(l leaf) string {
	err, reason := l.err, ""
	if re, ok := err.(*openapi3filter.RequestError); ok {
		if re.Err == nil {
			reason = re.Reason
		}
		err = re.Err
	}
	var se *openapi3.SchemaError
	switch {
	case reason != "":
	case errors.As(err, &se):
		reason = schemaProblem(se)
	default:
		reason = err.Error()
	}
	if l.param == "" {
		return reason
	}
	return l.param + " - " + reason
}

// pagination is Pipedrive's additional_data.pagination; next_start only when there is more.
type pagination struct {
	Start                 int  `json:"start"`
	Limit                 int  `json:"limit"`
	MoreItemsInCollection bool `json:"more_items_in_collection"`
	NextStart             *int `json:"next_start,omitempty"`
}

// list answers a GET of an item's files: the page the query asks for, sorted as asked
// (by id by default), data null when the page is empty. The query has passed validation.
func (s *Server) list(r *http.Request) reply {
	m := itemFilesPath.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, BasePath))
	item := pipedrive.Item{Type: itemTypeOf(m[1])}
	item.ID, _ = strconv.ParseInt(m[2], 10, 64)
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	limit := defaultPageSize
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}

	s.mu.Lock()
	_, ok := s.lookupLocked(item.Type, item.ID)
	var (
		pg   pagination
		data []wireFile // nil, sent as null, when the page is empty
	)
	if ok {
		pg, data = s.pageLocked(s.byItem[item], q.Get("sort"), start, limit)
	}
	s.mu.Unlock()
	if !ok {
		return errorReply(http.StatusNotFound, itemName(item.Type)+" not found")
	}
	body, err := json.Marshal(struct {
		Success        bool       `json:"success"`
		Data           []wireFile `json:"data"`
		AdditionalData struct {
			Pagination pagination `json:"pagination"`
		} `json:"additional_data"`
	}{Success: true, Data: data, AdditionalData: struct {
		Pagination pagination `json:"pagination"`
	}{pg}})
	if err != nil {
		return errorReply(http.StatusInternalServerError, "encoding the response: "+err.Error())
	}
	return reply{status: http.StatusOK, contentType: "application/json", body: body}
}

// pageLocked returns the page of ix's files that starts at start and holds at most limit
// files, ordered as the sort parameter asks ("id" or "update_time", either with " ASC" or
// " DESC"; ties and the default go by id ascending), and its pagination; data is nil when
// the page is empty. It reads only the item's files, and sorts them only when their times
// are out of id order, so a page costs O(limit) however many files the server holds.
// ix may be nil, for an item without files. s.mu must be held.
func (s *Server) pageLocked(ix *itemFiles, sort string, start, limit int) (pagination, []wireFile) {
	pg := pagination{Start: start, Limit: limit}
	if ix == nil || start >= len(ix.files) {
		return pg, nil
	}
	field, dir, _ := strings.Cut(sort, " ")
	order := ix.files
	if field == "update_time" && !ix.inTimeOrder {
		order = slices.Clone(order)
		slices.SortStableFunc(order, func(a, b int32) int {
			return cmp.Compare(s.files[a].added, s.files[b].added) // stable: ties stay in id order
		})
	}
	end := min(start+limit, len(order))
	data := make([]wireFile, 0, end-start)
	for i := start; i < end; i++ {
		pos := order[i]
		if dir == "DESC" {
			pos = order[len(order)-1-i]
		}
		data = append(data, s.files[pos].wire(int64(pos)+1))
	}
	if end < len(order) {
		pg.MoreItemsInCollection, pg.NextStart = true, &end
	}
	return pg, data
}

// DeleteFile marks the file with the given id deleted, as Pipedrive's DELETE /files/{id}
// does: it stays in Files and in the GETs with ActiveFlag false. It reports whether the
// file exists.
func (s *Server) DeleteFile(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > int64(len(s.files)) {
		return false
	}
	s.files[id-1].active = false
	return true
}
