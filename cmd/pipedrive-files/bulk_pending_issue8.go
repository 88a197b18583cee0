package main

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// TEMPORARY, until issue 8 (EnsureLinked, FindCreated, List) is merged: this file is
// deleted then and bulk uses client.Files directly. Until then bulk can only --dry-run.
type pendingIssue8 struct{ *pipedrive.FilesService }

var errPendingIssue8 = errors.New("bulk needs EnsureLinked, FindCreated and List (issue 8), not merged yet")

func (pendingIssue8) EnsureLinked(context.Context, pipedrive.LinkRemoteFileRequest) (*pipedrive.RemoteFile, bool, error) {
	return nil, false, errPendingIssue8
}

func (pendingIssue8) FindCreated(context.Context, pipedrive.CreateRemoteFileRequest, time.Time) (*pipedrive.RemoteFile, error) {
	return nil, errPendingIssue8
}

func (pendingIssue8) List(context.Context, pipedrive.Item) iter.Seq2[*pipedrive.RemoteFile, error] {
	return func(yield func(*pipedrive.RemoteFile, error) bool) { yield(nil, errPendingIssue8) }
}
