package pipedrive

import (
	"context"
	"fmt"
	"iter"
	"net/http"

	"github.com/e97b4d80/pipedrive-remote-files/gen"
)

// listPageSize is how many files each GET asks for: Pipedrive's maximum.
const listPageSize = 100

// listSort orders pages by file id, so that a file added while the caller ranges lands on
// the last page rather than shifting the pages already read.
const listSort = "id ASC"

// List returns every file attached to item (GET /deals/{id}/files, /persons/{id}/files
// or /organizations/{id}/files): uploaded and remote files alike, deleted ones too (with
// ActiveFlag false), oldest first. Pages of 100 are fetched as the caller ranges, each
// costing 20 rate-limit tokens; stopping the loop stops fetching. A failure is yielded
// once, with a nil file, and ends the sequence: an unknown item matches ErrNotFound, and
// an invalid item is a *ValidationError yielded before anything is sent.
//
//	for f, err := range client.Files.List(ctx, pipedrive.Deal(12)) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(f.ID, f.Name)
//	}
func (s *FilesService) List(ctx context.Context, item Item) iter.Seq2[*RemoteFile, error] {
	return func(yield func(*RemoteFile, error) bool) {
		if err := item.validate("Item"); err != nil {
			yield(nil, err)
			return
		}
		start := 0
		for {
			p, err := s.listPage(ctx, item, start)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, f := range p.files {
				if !yield(f, nil) {
					return
				}
			}
			if !p.more {
				return
			}
			if err := p.follows(start); err != nil {
				yield(nil, errorf(listOperation(item.Type), "unexpected response: %w", err))
				return
			}
			start = p.next
		}
	}
}

// listPage fetches the page of item's files that begins at start.
func (s *FilesService) listPage(ctx context.Context, item Item, start int) (page, error) {
	limit, sort := listPageSize, listSort
	params := gen.GetDealFilesParams{Start: &start, Limit: &limit, Sort: &sort}
	return send(ctx, s.client, listOperation(item.Type), func(ctx context.Context, api *gen.Client) (*http.Response, error) {
		switch item.Type {
		case ItemPerson:
			return api.GetPersonFiles(ctx, item.ID, (*gen.GetPersonFilesParams)(&params))
		case ItemOrganization:
			return api.GetOrganizationFiles(ctx, item.ID, (*gen.GetOrganizationFilesParams)(&params))
		}
		return api.GetDealFiles(ctx, item.ID, &params)
	}, pageData)
}

// listOperation is the GET that lists the files of an item of type t (a valid type).
func listOperation(t ItemType) operation {
	switch t {
	case ItemPerson:
		return opListPerson
	case ItemOrganization:
		return opListOrg
	}
	return opListDeal
}

// follows checks that the page that began at start, announcing more items, points past
// itself: an empty page or a next_start within the page would fetch the same files again,
// forever or repeating some, and stopping instead would quietly drop the rest.
func (p page) follows(start int) error {
	switch {
	case len(p.files) == 0:
		return fmt.Errorf("an empty page at start %d says there are more items", start)
	case p.next < start+len(p.files):
		return fmt.Errorf("next_start %d does not follow the %d files from start %d", p.next, len(p.files), start)
	}
	return nil
}
