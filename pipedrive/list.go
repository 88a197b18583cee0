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
// the last page rather than shifting the pages already read. (A file deleted meanwhile
// does shift the later pages back by one, so one file may be skipped; follows catches
// only repeats.)
const listSort = "id ASC"

// List returns every file attached to item (GET /deals/{id}/files, /persons/{id}/files
// or /organizations/{id}/files): uploaded and remote files alike, oldest first. Pipedrive
// leaves deleted files out (include_deleted_files, which listed them too, is deprecated);
// should one appear anyway, its ActiveFlag is false. Pages of 100 are fetched as the
// caller ranges, each costing 20 rate-limit tokens; stopping the loop stops fetching. A
// failure is yielded once, with a nil file, and ends the sequence: an unknown item
// matches ErrNotFound, an invalid item is a *ValidationError yielded before anything is
// sent, and a page that would repeat files already yielded (or announces more after an
// empty page) is an error rather than a loop.
//
//	for f, err := range client.Files.List(ctx, pipedrive.Deal(12)) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(f.ID, f.Name)
//	}
func (s *FilesService) List(ctx context.Context, item Item) iter.Seq2[*File, error] {
	if err := item.validate("Item"); err != nil {
		return func(yield func(*File, error) bool) { yield(nil, err) }
	}
	return pages(listOperation(item.Type), func(start int) (page, error) { return s.listPage(ctx, item, start) })
}

// ListAll returns every file of the company (GET /files), with List's guarantees: pages
// of 100 in id order, oldest first, fetched as the caller ranges (20 rate-limit tokens
// each, so a company with 10,000 files costs 2,000 tokens to read in full), stopping the
// loop stops fetching, a failure is yielded once and ends the sequence, and a page that
// would repeat files is an error. Uploaded files are listed too (RemoteLocation "s3");
// IsDriveFile picks the Google Drive ones. Deleted files are left out, as by List.
//
// It is how Pipedrive's remote-files tutorial finds the remote_id of a Drive file that is
// already in Pipedrive, to link it to another item:
//
//	for f, err := range client.Files.ListAll(ctx) {
//		if err != nil {
//			return err
//		}
//		if f.IsDriveFile() && f.Name == "Price list" {
//			_, err = client.Files.LinkRemote(ctx, pipedrive.LinkRemoteFileRequest{RemoteID: f.RemoteID, Item: pipedrive.Deal(13)})
//			return err
//		}
//	}
func (s *FilesService) ListAll(ctx context.Context) iter.Seq2[*File, error] {
	return pages(opListAll, func(start int) (page, error) {
		limit, sort := listPageSize, listSort
		return send(ctx, s.client, opListAll, func(ctx context.Context, api *gen.Client) (*http.Response, error) {
			return api.GetFiles(ctx, &gen.GetFilesParams{Start: &start, Limit: &limit, Sort: &sort})
		}, pageAnswer)
	})
}

// pages is the paging every list shares: it ranges over the files of the pages fetch
// returns, from start 0, following next_start while more_items_in_collection says so. A
// failure of fetch, or a page that does not follow its start (see page.follows), is
// yielded once and ends the sequence; op names the list in that error. Nothing is
// fetched before the caller ranges, and nothing after the caller stops.
func pages(op operation, fetch func(start int) (page, error)) iter.Seq2[*File, error] {
	return func(yield func(*File, error) bool) {
		start := 0
		for {
			p, err := fetch(start)
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
				yield(nil, errorf(op, "unexpected response: %w", err))
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
	}, pageAnswer)
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
