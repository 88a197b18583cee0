package pipedrivetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// fileLocked returns the position of the file with the given id, or false when there is
// none: never stored, or deleted for good purgeAfter after it was marked deleted. s.mu
// must be held.
func (s *Server) fileLocked(id int64, now time.Time) (int32, bool) {
	if id < 1 || id > int64(len(s.files)) {
		return 0, false
	}
	pos := int32(id - 1)
	if f := &s.files[pos]; !f.active && now.Unix()-s.edits[pos].deleted >= int64(purgeAfter/time.Second) {
		return 0, false
	}
	return pos, true
}

// fileNotFound is the answer for an id without a file.
func fileNotFound() reply { return errorReply(http.StatusNotFound, "File not found") }

// getFile answers GET /files/{id}: the file, deleted ones (active_flag false) included
// until they are gone for good.
func (s *Server) getFile(id int64, now time.Time) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, ok := s.fileLocked(id, now)
	if !ok {
		return fileNotFound()
	}
	return fileReply(s.wireLocked(pos))
}

// updateFile answers PUT /files/{id}: the fields the validated form body gives (name,
// description, either possibly empty) replace the file's, and update_time becomes now; a
// body with neither changes nothing. A file marked deleted can be changed too, as
// Pipedrive documents nothing against it; it stays deleted.
func (s *Server) updateFile(id int64, body []byte, now time.Time) reply {
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, ok := s.fileLocked(id, now)
	if !ok {
		return fileNotFound()
	}
	if !form.Has("name") && !form.Has("description") {
		return fileReply(s.wireLocked(pos))
	}
	wasUpdated := s.files[pos].edited && (s.edits[pos].named || s.edits[pos].described)
	e := s.editLocked(pos)
	if form.Has("name") {
		e.name, e.named = form.Get("name"), true
	}
	if form.Has("description") {
		e.description, e.described = form.Get("description"), true
	}
	e.updated = now.Unix()
	if !wasUpdated {
		s.updates++
		s.byItem[s.files[pos].target.item].updates++
	}
	s.version++
	return fileReply(s.wireLocked(pos))
}

// deleteFile answers DELETE /files/{id}: the file is marked deleted, as Pipedrive's
// DELETE does, and the answer is {"success":true,"data":{"id":N}}. A second DELETE of a
// file already marked deleted gets the same answer and changes nothing (Pipedrive does not
// document what it answers then); once the file is gone for good, 404.
func (s *Server) deleteFile(id int64, now time.Time) reply {
	s.mu.Lock()
	pos, ok := s.fileLocked(id, now)
	if ok {
		s.markDeletedLocked(pos, now)
	}
	s.mu.Unlock()
	if !ok {
		return fileNotFound()
	}
	data, _ := json.Marshal(struct {
		Success bool `json:"success"`
		Data    struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}{Success: true, Data: struct {
		ID int64 `json:"id"`
	}{id}})
	return reply{status: http.StatusOK, contentType: "application/json", body: data}
}

// markDeletedLocked marks the file at pos deleted at now, unless it is already: its
// active_flag becomes false, its update_time now, and the lists leave it out from then
// on. s.mu must be held.
func (s *Server) markDeletedLocked(pos int32, now time.Time) {
	f := &s.files[pos]
	if !f.active {
		return
	}
	f.active = false
	e := s.editLocked(pos)
	e.deleted, e.updated = now.Unix(), now.Unix()
	s.deleted.add(pos)
	ix := s.byItem[f.target.item]
	i, _ := slices.BinarySearch(ix.files, pos)
	ix.deleted.add(int32(i))
	s.version++
}

// DeleteFile marks the file with the given id deleted, as Pipedrive's DELETE /files/{id}
// does (and as that request to the server does): its active_flag becomes false and its
// update_time the server's now; the lists (GET /files and the items') leave it out, GET
// /files/{id} still returns it, and Files keeps it. Thirty days later, by the server's
// clock, it is gone for good: every request about it is 404. It reports whether the file
// exists; deleting a file twice changes nothing.
func (s *Server) DeleteFile(id int64) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, ok := s.fileLocked(id, now)
	if ok {
		s.markDeletedLocked(pos, now)
	}
	return ok
}
