package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SettleTime is how long EnsureLinked waits after a link whose outcome is unknown, and
// FindCreated before it looks, before they list the item's files: a request that reached
// Pipedrive is normally carried out by then. The wait goes through the client's Clock
// (WithClock).
const SettleTime = 3 * time.Second

// ClockSkewAllowance is how much earlier than the since time FindCreated looks: Pipedrive
// stamps add_time with its own clock, which may be behind the caller's.
const ClockSkewAllowance = 5 * time.Minute

// EnsureLinked links the Google Drive file r.RemoteID to r.Item exactly once. It first
// lists the item's files: if an active Drive file there (IsDriveFile) already has this
// remote id, it returns that file with linked false and sends no link. Otherwise it links
// the file and returns it with linked true.
//
// If the link's outcome is unknown (ErrOutcomeUnknown), it waits SettleTime and lists
// again: a file found there means the link took effect (linked true); none means it did
// not, and the link is sent once more. If that outcome is unknown too, the error matches
// ErrOutcomeUnknown. At most two links can take effect per call (a link is sent again by
// the transport only when Pipedrive cannot have acted on it: a 429, or a connection that
// was never made); each list costs 20 rate-limit tokens a page, so call LinkRemote when
// duplicates do not matter.
//
// One race remains: a link whose lost answer takes effect only after SettleTime (a
// request stuck in a queue at Pipedrive, say) is not seen by the second list, so the
// file may end up linked twice; List shows both. After an error matching
// ErrOutcomeUnknown, calling EnsureLinked again later finds out, sending no link if one
// took effect.
func (s *FilesService) EnsureLinked(ctx context.Context, r LinkRemoteFileRequest) (f *File, linked bool, err error) {
	if err := r.Validate(); err != nil {
		return nil, false, err
	}
	if f, err := s.findLinked(ctx, r); err != nil || f != nil {
		return f, false, err
	}
	for attempt := 1; ; attempt++ {
		f, err := s.LinkRemote(ctx, r)
		switch {
		case !errors.Is(err, ErrOutcomeUnknown):
			return f, err == nil, err
		case attempt == 2:
			return nil, false, fmt.Errorf("pipedrive: EnsureLinked: the link was sent twice and its outcome is still unknown: %w", unprefixed(err))
		}
		if werr := s.client.transport.clock.Sleep(ctx, SettleTime); werr != nil {
			return nil, false, fmt.Errorf("%w; then waiting to check the item's files: %w", err, unprefixed(werr))
		}
		found, lerr := s.findLinked(ctx, r)
		if lerr != nil {
			return nil, false, fmt.Errorf("%w; then checking the item's files failed: %w", err, unprefixed(lerr))
		}
		if found != nil {
			return found, true, nil
		}
	}
}

// findLinked returns the active Google Drive file on r.Item whose remote id is r.RemoteID,
// or nil. Only a file with remote_location "googledrive" (IsDriveFile) counts: an
// uploaded file has remote_location "s3" and a remote_id of its own (Pipedrive's example:
// "95781006_...n.jpg"), which must never pass for a linked Drive file. The "googledocs"
// in the example answers of Pipedrive's published spec is a known slip there; live
// answers say "googledrive".
func (s *FilesService) findLinked(ctx context.Context, r LinkRemoteFileRequest) (*File, error) {
	for f, err := range s.List(ctx, r.Item) {
		if err != nil {
			return nil, err
		}
		if f.ActiveFlag && f.IsDriveFile() && f.RemoteID == r.RemoteID {
			return f, nil
		}
	}
	return nil, nil
}

// FindCreated finds the file a CreateRemote call with r created, after that call failed
// with ErrOutcomeUnknown: the newest active Google Drive file (remote_location
// "googledrive": an uploaded file, "s3", never matches, although it has a remote_id too)
// on r.Item named r.Title, of type r.FileType, added no earlier than since minus
// ClockSkewAllowance. A file whose add_time is missing or unreadable (AddTime
// zero) may be it, so it counts; a dated one is preferred. Of several matches the one
// with the latest add_time is returned, and of those the one with the highest id.
//
// It first waits SettleTime on the client's Clock (WithClock), as EnsureLinked does, so
// that a create still on its way is carried out before the item's files are listed;
// AlreadySettled skips that wait. SkipFiles leaves out files the caller has accounted
// for. Pass as since the time taken just before CreateRemote:
//
//	start := time.Now()
//	f, err := client.Files.CreateRemote(ctx, req)
//	if errors.Is(err, pipedrive.ErrOutcomeUnknown) {
//		f, err = client.Files.FindCreated(ctx, req, start)
//	}
//
// When the item has no such file (or only skipped ones) the error matches ErrNotCreated,
// and never ErrNotFound: the create most likely did not take effect and may be sent
// again. A failed list is returned as it is: a 404 (the item was deleted) matches
// ErrNotFound and not ErrNotCreated. A file with the same title created by someone else
// within the allowance is indistinguishable from it; SkipFiles at least keeps callers
// that create identical files from all getting the same one.
func (s *FilesService) FindCreated(ctx context.Context, r CreateRemoteFileRequest, since time.Time, opts ...FindOption) (*File, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var o findOptions
	for _, opt := range opts {
		if opt == nil {
			return nil, &ValidationError{Field: "FindOption", Reason: "must not be nil"}
		}
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	if !o.settled {
		if err := s.client.transport.clock.Sleep(ctx, SettleTime); err != nil {
			return nil, fmt.Errorf("pipedrive: FindCreated: waiting before looking at the item's files: %w", err)
		}
	}
	var newest *File
	skipped := 0
	for f, err := range s.List(ctx, r.Item) {
		if err != nil {
			return nil, err
		}
		if !r.matches(f, since) {
			continue
		}
		if o.skip(f.ID) {
			skipped++
			continue
		}
		if newest == nil || newer(f, newest) {
			newest = f
		}
	}
	if newest == nil {
		var note string
		if skipped > 0 {
			note = fmt.Sprintf(" other than %d skipped", skipped)
		}
		return nil, fmt.Errorf("%w (no %s titled %q on %s %d added since %s UTC%s)", ErrNotCreated,
			r.FileType, r.Title, r.Item.Type, r.Item.ID, since.Add(-ClockSkewAllowance).UTC().Format(time.DateTime), note)
	}
	return newest, nil
}

// newer is FindCreated's one tie-break: whether a is a later match than b, by add_time,
// then by id (Pipedrive's ids grow).
func newer(a, b *File) bool {
	return a.AddTime.After(b.AddTime) || a.AddTime.Equal(b.AddTime) && a.ID > b.ID
}

// FindOption adjusts how FindCreated looks for a created file: see SkipFiles and
// AlreadySettled.
type FindOption func(*findOptions)

// findOptions is what the FindOptions given to one FindCreated call say.
type findOptions struct {
	skips   []func(fileID int64) bool
	settled bool
	err     error // a FindOption's argument that FindCreated refuses
}

// skip reports whether any SkipFiles func skips the file.
func (o *findOptions) skip(id int64) bool {
	for _, skip := range o.skips {
		if skip(id) {
			return true
		}
	}
	return false
}

// SkipFiles makes FindCreated leave out every matching file for which skip returns true,
// for instance files that other creates of the same title already claimed: the newest
// remaining match is returned, and when only skipped files match, the error matches
// ErrNotCreated. skip is called once per matching file, from the calling goroutine,
// while the item's files are listed. Several SkipFiles combine: a file any of them skips
// is left out. A nil skip is refused: FindCreated returns a *ValidationError (matching
// ErrInvalidRequest) and lists nothing.
func SkipFiles(skip func(fileID int64) bool) FindOption {
	return func(o *findOptions) {
		if skip == nil {
			o.err = &ValidationError{Field: "SkipFiles", Reason: "skip func must not be nil"}
			return
		}
		o.skips = append(o.skips, skip)
	}
}

// AlreadySettled tells FindCreated that the caller has already waited SettleTime since
// the create's outcome became unknown (for instance a resumed run that waited for an
// earlier run's calls to settle), so it lists the item's files at once, without its own
// wait.
func AlreadySettled() FindOption {
	return func(o *findOptions) { o.settled = true }
}

// matches reports whether f may be the file a CreateRemote call with r made, if that
// call was sent at since: f active, a Google Drive file, named r.Title, of type r.FileType, added no
// earlier than since minus ClockSkewAllowance or with no add_time.
func (r CreateRemoteFileRequest) matches(f *File, since time.Time) bool {
	tooOld := !f.AddTime.IsZero() && f.AddTime.Before(since.Add(-ClockSkewAllowance)) // zero: the time is unknown
	return f.ActiveFlag && f.IsDriveFile() && f.Name == r.Title && f.FileType == r.FileType && !tooOld
}
