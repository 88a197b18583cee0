package pipedrivetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
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

// filePath matches the path of one file, /files/{id}; /files/remote and
// /files/remoteLink are routes of their own, found first.
var filePath = regexp.MustCompile(`^/files/([^/]+)$`)

// pathTemplate is the spec's path for a concrete one, e.g. "/deals/{id}/files" for
// "/deals/12/files" or "/files/{id}" for "/files/7"; "" when path has no template.
func pathTemplate(path string) string {
	if m := itemFilesPath.FindStringSubmatch(path); m != nil {
		return "/" + m[1] + "/{id}/files"
	}
	if filePath.MatchString(path) {
		return "/files/{id}"
	}
	return ""
}

// pathParams are the values of the route's path parameters in path, for validation.
func pathParams(route *routers.Route, path string) map[string]string {
	if route.Path != pathTemplate(path) {
		return nil
	}
	if m := itemFilesPath.FindStringSubmatch(path); m != nil {
		return map[string]string{"id": m[2]}
	}
	if m := filePath.FindStringSubmatch(path); m != nil {
		return map[string]string{"id": m[1]}
	}
	return nil
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
// (by id by default), deleted files left out, data null when the page is empty. The
// query has passed validation.
func (s *Server) list(r *http.Request) reply {
	m := itemFilesPath.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, BasePath))
	item := pipedrive.Item{Type: itemTypeOf(m[1])}
	item.ID, _ = strconv.ParseInt(m[2], 10, 64)
	start, limit, keys := pageQuery(r)

	s.mu.Lock()
	_, ok := s.lookupLocked(item.Type, item.ID)
	var (
		pg   pagination
		data []wireFile
	)
	if ok {
		var seq []int32
		var hidden *gaps
		inTimeOrder := true
		if ix := s.byItem[item]; ix != nil {
			seq, hidden, inTimeOrder = ix.files, &ix.deleted, ix.inTimeOrder && ix.updates == 0
		}
		pg, data = s.pageLocked(view{seq: seq, hidden: hidden, inTimeOrder: inTimeOrder}, keys, start, limit)
	}
	s.mu.Unlock()
	if !ok {
		return errorReply(http.StatusNotFound, itemName(item.Type)+" not found")
	}
	return pageReply(pg, data)
}

// listAll answers GET /files: the company's files, paged and sorted as for an item.
func (s *Server) listAll(r *http.Request) reply {
	start, limit, keys := pageQuery(r)
	s.mu.Lock()
	v := view{n: len(s.files), hidden: &s.deleted, inTimeOrder: s.inTimeOrder && s.updates == 0, cache: &s.sorted}
	pg, data := s.pageLocked(v, keys, start, limit)
	s.mu.Unlock()
	return pageReply(pg, data)
}

// pageQuery reads a list's start, limit and sort; the query has passed validation.
func pageQuery(r *http.Request) (start, limit int, keys []sortKey) {
	q := r.URL.Query()
	start, _ = strconv.Atoi(q.Get("start"))
	limit = defaultPageSize
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	return start, limit, parseSort(q.Get("sort"))
}

// pageReply is a list answer: data null for an empty page.
func pageReply(pg pagination, data []wireFile) reply {
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

// sortKey is one field of a sort parameter: "update_time DESC" is {"update_time", true}.
type sortKey struct {
	field string
	desc  bool
}

// parseSort reads a sort parameter that has passed the spec's pattern: fields separated
// by commas, each optionally followed by ASC or DESC in any case. "" is no sort.
func parseSort(sort string) []sortKey {
	var keys []sortKey
	for part := range strings.SplitSeq(sort, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		keys = append(keys, sortKey{field: f[0], desc: len(f) > 1 && strings.EqualFold(f[1], "DESC")})
	}
	return keys
}

// view is a sequence of files a list pages through: the positions seq (or, with seq nil,
// every file, 0..n-1, the company's list) in id order, minus the hidden ones (deleted).
type view struct {
	seq    []int32
	n      int
	hidden *gaps // indices into the sequence of the files left out; nil for none
	// inTimeOrder holds when update_time never decreases along the sequence: then the
	// order by update_time is the order by id.
	inTimeOrder bool
	// cache keeps the last sorted order of the view across requests, for a sort other
	// than by id; nil to sort on every request.
	cache *sortedOrder
}

// length is the number of files in the sequence, hidden ones included.
func (v view) length() int {
	if v.seq != nil {
		return len(v.seq)
	}
	return v.n
}

// at is the position of the i-th file of the sequence.
func (v view) at(i int) int32 {
	if v.seq != nil {
		return v.seq[i]
	}
	return int32(i)
}

// sortedOrder is a view's files (shown ones only) in the order of a sort, kept while the
// server's files do not change.
type sortedOrder struct {
	sort    string // the sort, as the keys print
	version uint64 // Server.version when it was made
	order   []int32
}

// pageLocked returns the page of v's shown files that starts at start and holds at most
// limit files, in the order keys ask for, and its pagination; data is nil when the page is
// empty. Ordered by id (the default, and "id ASC" or "id DESC"), or by update_time while
// v is in time order, a page reads only its own files and, to skip the hidden ones,
// O(log h) of h hidden ones: O(limit) however many files the server holds. Any other sort
// reads and sorts all of v's shown files, once per change to the files for a cached view.
// Ties go by id, ascending unless the last key is DESC, so that a sort's DESC is its ASC
// reversed. s.mu must be held.
func (s *Server) pageLocked(v view, keys []sortKey, start, limit int) (pagination, []wireFile) {
	pg := pagination{Start: start, Limit: limit}
	hidden := v.hidden
	if hidden == nil {
		hidden = &gaps{}
	}
	total := v.length() - len(hidden.at) // the files shown
	if start >= total {
		return pg, nil
	}
	end := min(start+limit, total)
	data := make([]wireFile, 0, end-start)
	switch desc, byID := idOrder(keys, v.inTimeOrder); {
	case byID && !desc:
		for i := range hidden.forward(hidden.index(start), end-start, v.length()) {
			data = append(data, s.wireLocked(v.at(i)))
		}
	case byID:
		for i := range hidden.backward(hidden.index(total-1-start), end-start) {
			data = append(data, s.wireLocked(v.at(i)))
		}
	default:
		order := s.sortedLocked(v, keys)
		for _, pos := range order[start:end] {
			data = append(data, s.wireLocked(pos))
		}
	}
	if end < total {
		pg.MoreItemsInCollection, pg.NextStart = true, &end
	}
	return pg, data
}

// idOrder reports whether keys order v's files as their ids do (byID), ascending or
// (desc) descending: no keys, a sort by id, or by update_time while update_time follows
// the ids. Keys after the first decide nothing then: ids are unique.
func idOrder(keys []sortKey, inTimeOrder bool) (desc, byID bool) {
	if len(keys) == 0 {
		return false, true
	}
	k := keys[0]
	if k.field == "id" || k.field == "update_time" && inTimeOrder && len(keys) == 1 {
		return k.desc, true
	}
	return false, false
}

// sortedLocked returns v's shown files in the order keys ask for, from v's cache when
// the files have not changed since it was made. s.mu must be held.
func (s *Server) sortedLocked(v view, keys []sortKey) []int32 {
	name := fmt.Sprint(keys)
	if c := v.cache; c != nil && c.order != nil && c.sort == name && c.version == s.version {
		return c.order
	}
	hidden := v.hidden
	if hidden == nil {
		hidden = &gaps{}
	}
	order := make([]int32, 0, v.length()-len(hidden.at))
	for i := range hidden.forward(hidden.index(0), v.length()-len(hidden.at), v.length()) {
		order = append(order, v.at(i))
	}
	lastDesc := keys[len(keys)-1].desc
	slices.SortFunc(order, func(a, b int32) int {
		for _, k := range keys {
			c := s.compareLocked(k.field, a, b)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if lastDesc {
			return cmp.Compare(b, a)
		}
		return cmp.Compare(a, b)
	})
	if v.cache != nil {
		*v.cache = sortedOrder{sort: name, version: s.version, order: order}
	}
	return order
}

// compareLocked compares two files by one of the fields the sort parameter may name. s.mu
// must be held.
func (s *Server) compareLocked(field string, a, b int32) int {
	fa, fb := &s.files[a], &s.files[b]
	switch field {
	case "id":
		return cmp.Compare(a, b)
	case "update_time":
		return cmp.Compare(s.updatedLocked(a), s.updatedLocked(b))
	case "add_time":
		return cmp.Compare(fa.added, fb.added)
	case "deal_id":
		return cmp.Compare(fa.target.dealID, fb.target.dealID)
	case "person_id":
		return cmp.Compare(fa.target.personID, fb.target.personID)
	case "org_id":
		return cmp.Compare(fa.target.orgID, fb.target.orgID)
	case "file_type":
		return cmp.Compare(fa.drive.Type, fb.drive.Type)
	case "file_name", "comment": // the comment is the description
		wa, wb := s.wireLocked(a), s.wireLocked(b)
		if field == "comment" {
			return cmp.Compare(wa.Description, wb.Description)
		}
		return cmp.Compare(wa.FileName, wb.FileName)
	}
	return 0 // user_id, product_id, file_size: the same for every file the fake stores
}

// gaps holds, in increasing order, the indices into a sequence of the files a list leaves
// out (deleted ones), so that the k-th file shown is found in O(log h) of h gaps.
type gaps struct{ at []int32 }

// add marks index i a gap; marking one twice changes nothing.
func (g *gaps) add(i int32) {
	j, found := slices.BinarySearch(g.at, i)
	if !found {
		g.at = slices.Insert(g.at, j, i)
	}
}

// index is the index in the sequence of the k-th file shown (from 0): k plus the number
// of gaps before it. A gap g.at[j] comes before it exactly when g.at[j]-j <= k, and
// g.at[j]-j never decreases along g.at, so those gaps are a prefix found by bisection.
func (g *gaps) index(k int) int {
	lo, hi := 0, len(g.at)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if int(g.at[mid])-mid <= k {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return k + lo
}

// forward yields the indices of up to n shown files of a sequence of length, from index
// from (a shown one) upwards, skipping the gaps.
func (g *gaps) forward(from, n, length int) iter.Seq[int] {
	return func(yield func(int) bool) {
		j, _ := slices.BinarySearch(g.at, int32(from)) // the first gap after from
		for i := from; n > 0 && i < length; i++ {
			if j < len(g.at) && int(g.at[j]) == i {
				j++
				continue
			}
			if !yield(i) {
				return
			}
			n--
		}
	}
}

// backward yields the indices of up to n shown files from index from (a shown one)
// downwards, skipping the gaps.
func (g *gaps) backward(from, n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		j, _ := slices.BinarySearch(g.at, int32(from))
		j-- // the last gap before from
		for i := from; n > 0 && i >= 0; i-- {
			if j >= 0 && int(g.at[j]) == i {
				j--
				continue
			}
			if !yield(i) {
				return
			}
			n--
		}
	}
}
