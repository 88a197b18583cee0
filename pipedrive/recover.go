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
// lists the item's files: if an active file there already has this remote id, it returns
// that file with linked false and sends no link. Otherwise it links the file and returns
// it with linked true.
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
func (s *FilesService) EnsureLinked(ctx context.Context, r LinkRemoteFileRequest) (f *RemoteFile, linked bool, err error) {
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

// findLinked returns the active file on r.Item linked from Drive file r.RemoteID, or nil.
// It matches on the remote id alone (never empty in r): Drive ids are unique, uploaded
// files have none, and remote_location is not always "googledrive" (Pipedrive's own
// example says "googledocs").
func (s *FilesService) findLinked(ctx context.Context, r LinkRemoteFileRequest) (*RemoteFile, error) {
	for f, err := range s.List(ctx, r.Item) {
		if err != nil {
			return nil, err
		}
		if f.ActiveFlag && f.RemoteID != "" && f.RemoteID == r.RemoteID {
			return f, nil
		}
	}
	return nil, nil
}

// FindCreated finds the file a CreateRemote call with r created, after that call failed
// with ErrOutcomeUnknown: the newest active file on r.Item named r.Title, of type
// r.FileType, remote (a remote id or location, as an uploaded file has neither; the
// location itself is not checked, as it may be "googledocs"), added no earlier than since minus ClockSkewAllowance. A
// file whose add_time is missing or unreadable (AddTime zero) may be it, so it counts;
// a dated one is preferred. It first waits SettleTime on the client's Clock (WithClock),
// as EnsureLinked does, so that a create still on its way is carried out before the
// item's files are listed. Pass as since the time taken just before CreateRemote:
//
//	start := time.Now()
//	f, err := client.Files.CreateRemote(ctx, req)
//	if errors.Is(err, pipedrive.ErrOutcomeUnknown) {
//		f, err = client.Files.FindCreated(ctx, req, start)
//	}
//
// When no such file exists the error matches ErrNotFound: the create did not take
// effect and may be sent again. A file with the same title created by someone else
// within the allowance is indistinguishable from it.
func (s *FilesService) FindCreated(ctx context.Context, r CreateRemoteFileRequest, since time.Time) (*RemoteFile, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.client.transport.clock.Sleep(ctx, SettleTime); err != nil {
		return nil, fmt.Errorf("pipedrive: FindCreated: waiting before looking at the item's files: %w", err)
	}
	cutoff := since.Add(-ClockSkewAllowance)
	var newest *RemoteFile
	for f, err := range s.List(ctx, r.Item) {
		if err != nil {
			return nil, err
		}
		if !r.Matches(f, since) {
			continue
		}
		if newest == nil || f.AddTime.After(newest.AddTime) || f.AddTime.Equal(newest.AddTime) && f.ID > newest.ID {
			newest = f
		}
	}
	if newest == nil {
		return nil, fmt.Errorf("pipedrive: FindCreated: no %s titled %q on %s %d added since %s: %w",
			r.FileType, r.Title, r.Item.Type, r.Item.ID, cutoff.UTC().Format(time.DateTime), unprefixed(ErrNotFound))
	}
	return newest, nil
}

// Matches reports whether f may be the file a CreateRemote call with r made, if that
// call was sent at since: the test FindCreated applies to each of the item's files (f
// active, remote, named r.Title, of type r.FileType, added no earlier than since minus
// ClockSkewAllowance or with no add_time). It is for callers that search a listing of
// their own, for instance to skip files they have already accounted for.
func (r CreateRemoteFileRequest) Matches(f *RemoteFile, since time.Time) bool {
	tooOld := !f.AddTime.IsZero() && f.AddTime.Before(since.Add(-ClockSkewAllowance)) // zero: the time is unknown
	return f.ActiveFlag && isRemote(f) && f.Name == r.Title && f.FileType == r.FileType && !tooOld
}

// isRemote reports whether f is a remote file rather than an uploaded one.
func isRemote(f *RemoteFile) bool { return f.RemoteID != "" || f.RemoteLocation != "" }
