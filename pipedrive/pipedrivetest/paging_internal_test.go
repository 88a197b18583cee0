package pipedrivetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// The pages of GET /files and of an item's list, however the files were created,
// renamed, deleted or stamped by a clock that went back, are the pages of the model: the
// shown (active) files sorted as asked, ties by id in the direction of the last key, cut
// at start and limit. This covers the fast paths (id order, skipping deleted files by
// bisection) and the sorted ones, cached or not.
func TestPagesAgreeWithAModel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 42))
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	srv := NewServer(WithClock(func() time.Time { return now }))
	defer srv.Close()
	items := []pipedrive.Item{pipedrive.Deal(12), pipedrive.Deal(13), pipedrive.Person(5)}
	itemOf := map[int64]pipedrive.Item{}
	for range 600 {
		now = now.Add(time.Duration(rng.IntN(5)-1) * time.Second) // now and then back a second
		n := int64(len(itemOf))
		switch r := rng.IntN(20); {
		case r < 11 || n == 0:
			it := items[rng.IntN(len(items))]
			body := fmt.Sprintf("file_type=gdoc&item_id=%d&item_type=%s&remote_location=googledrive&title=T%d", it.ID, it.Type, rng.IntN(4))
			require.Equal(t, 200, srv.store("/files/remote", []byte(body), now).status)
			itemOf[n+1] = it
		case r < 13:
			it := items[rng.IntN(len(items))]
			body := fmt.Sprintf("item_id=%d&item_type=%s&remote_id=123magicfile123&remote_location=googledrive", it.ID, it.Type)
			require.Equal(t, 200, srv.store("/files/remoteLink", []byte(body), now).status)
			itemOf[n+1] = it
		case r < 16:
			form := url.Values{}
			if rng.IntN(2) == 0 {
				form.Set("name", fmt.Sprintf("N%d", rng.IntN(3)))
			}
			if rng.IntN(2) == 0 {
				form.Set("description", fmt.Sprintf("D%d", rng.IntN(3)))
			}
			srv.updateFile(rng.Int64N(n)+1, []byte(form.Encode()), now)
		default:
			srv.deleteFile(rng.Int64N(n)+1, now)
		}
	}
	files := srv.Files()
	sorts := []string{"", "id", "id DESC", "update_time", "update_time DESC", "add_time", "add_time DESC",
		"file_name DESC, id", "comment, update_time DESC", "deal_id DESC", "person_id, org_id DESC", "file_type,id DESC"}
	check := func(path string, in func(pipedrive.File) bool) {
		for _, sort := range sorts {
			var want []int64
			shown := slices.DeleteFunc(slices.Clone(files), func(f pipedrive.File) bool { return !f.ActiveFlag || !in(f) })
			keys := parseSort(sort)
			slices.SortStableFunc(shown, func(a, b pipedrive.File) int { return modelCompare(keys, a, b) })
			for _, f := range shown {
				want = append(want, f.ID)
			}
			for _, start := range []int{0, 1, 37, 99, 100, len(want) - 1, len(want), len(want) + 5} {
				for _, limit := range []int{1, 7, 100} {
					q := url.Values{"start": {fmt.Sprint(start)}, "limit": {fmt.Sprint(limit)}, "sort": {sort}}
					r := httptest.NewRequest("GET", BasePath+path+"?"+q.Encode(), nil)
					var rep reply
					if path == "/files" {
						rep = srv.listAll(r)
					} else {
						rep = srv.list(r)
					}
					require.Equal(t, 200, rep.status)
					got, more, next := pageIDs(t, rep.body)
					end := min(max(start, 0)+limit, len(want))
					var page []int64
					if start < len(want) {
						page = want[start:end]
					}
					require.Equal(t, page, got, "%s sort=%q start=%d limit=%d", path, sort, start, limit)
					require.Equal(t, end < len(want), more, "%s sort=%q start=%d limit=%d", path, sort, start, limit)
					if more {
						require.Equal(t, end, next)
					}
				}
			}
		}
	}
	check("/files", func(pipedrive.File) bool { return true })
	for _, it := range items {
		check(fmt.Sprintf("/%ss/%d/files", it.Type, it.ID), func(f pipedrive.File) bool { return itemOf[f.ID] == it })
	}
	deleted := 0
	for _, f := range files {
		if !f.ActiveFlag {
			deleted++
		}
	}
	require.Greater(t, deleted, 50, "the model saw deletions")
}

// modelCompare is the order a sort asks for, written plainly.
func modelCompare(keys []sortKey, a, b pipedrive.File) int {
	for _, k := range keys {
		var c int
		switch k.field {
		case "id":
			c = cmp.Compare(a.ID, b.ID)
		case "update_time":
			c = a.UpdateTime.Compare(b.UpdateTime)
		case "add_time":
			c = a.AddTime.Compare(b.AddTime)
		case "deal_id":
			c = cmp.Compare(a.DealID, b.DealID)
		case "person_id":
			c = cmp.Compare(a.PersonID, b.PersonID)
		case "org_id":
			c = cmp.Compare(a.OrgID, b.OrgID)
		case "file_type":
			c = strings.Compare(string(a.FileType), string(b.FileType))
		case "file_name":
			c = strings.Compare(a.FileName, b.FileName)
		case "comment":
			c = strings.Compare(a.Description, b.Description)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	if len(keys) > 0 && keys[len(keys)-1].desc {
		return cmp.Compare(b.ID, a.ID)
	}
	return cmp.Compare(a.ID, b.ID)
}

// pageIDs reads a list answer's file ids and pagination.
func pageIDs(t *testing.T, body []byte) (ids []int64, more bool, next int) {
	t.Helper()
	var l struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
		AdditionalData struct {
			Pagination struct {
				More bool `json:"more_items_in_collection"`
				Next int  `json:"next_start"`
			} `json:"pagination"`
		} `json:"additional_data"`
	}
	require.NoError(t, json.Unmarshal(body, &l))
	for _, f := range l.Data {
		ids = append(ids, f.ID)
	}
	return ids, l.AdditionalData.Pagination.More, l.AdditionalData.Pagination.Next
}
