package pipedrivetest

import "github.com/e97b4d80/pipedrive-remote-files/pipedrive"

// Deal is a deal the server knows. A file linked to it also carries the deal's person and
// organization, with their names, as Pipedrive's files do.
type Deal struct {
	ID       int64 // 0 picks the next free deal id
	Title    string
	PersonID int64 // the deal's contact person, 0 for none
	OrgID    int64 // the deal's organization, 0 for none
}

// Person is a person the server knows; a file linked to a person also carries the
// person's organization.
type Person struct {
	ID    int64 // 0 picks the next free person id
	Name  string
	OrgID int64 // the person's organization, 0 for none
}

// Organization is an organization the server knows.
type Organization struct {
	ID   int64 // 0 picks the next free organization id
	Name string
}

// DriveFile is a file in the fake user's Google Drive, which POST /files/remoteLink can
// link. Files created through POST /files/remote are added to the Drive too.
type DriveFile struct {
	ID   string             // the Drive file id (remote_id); "" generates a Google-like one
	Name string             // becomes the linked file's name and file_name
	Type pipedrive.FileType // becomes its file_type; "" means pipedrive.GoogleDoc
}

// seed returns the items every new Server starts with. Deal 12 and person 5 are the ones
// the README's examples use; the Drive file 123magicfile123 is the id in Pipedrive's
// remote-files tutorial.
func seed() ([]Organization, []Person, []Deal, []DriveFile) {
	return []Organization{
			{ID: 1, Name: "Acme Corp"},
			{ID: 2, Name: "Globex"},
		}, []Person{
			{ID: 5, Name: "John Doe", OrgID: 1},
			{ID: 6, Name: "Jane Roe", OrgID: 2},
		}, []Deal{
			{ID: 12, Title: "Acme website redesign", PersonID: 5, OrgID: 1},
			{ID: 13, Title: "Globex renewal", PersonID: 6, OrgID: 2},
		}, []DriveFile{
			{ID: "123magicfile123", Name: "Price list", Type: pipedrive.GoogleDoc},
			{ID: "1Qx7sheetFORECASTq3_2bT9vLmN0pRsTuVwXyZaBcDe", Name: "Q3 forecast", Type: pipedrive.GoogleSheet},
		}
}

// AddDeal adds d (replacing a deal with the same id) and returns its id.
func (s *Server) AddDeal(d Deal) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = pickID(d.ID, s.deals)
	s.deals[d.ID] = d
	return d.ID
}

// AddPerson adds p (replacing a person with the same id) and returns its id.
func (s *Server) AddPerson(p Person) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.ID = pickID(p.ID, s.persons)
	s.persons[p.ID] = p
	return p.ID
}

// AddOrganization adds o (replacing an organization with the same id) and returns its id.
func (s *Server) AddOrganization(o Organization) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.ID = pickID(o.ID, s.orgs)
	s.orgs[o.ID] = o
	return o.ID
}

// AddDriveFile puts f in the fake user's Google Drive, so that it can be linked, and
// returns its id.
func (s *Server) AddDriveFile(f DriveFile) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == "" {
		f.ID = googleID("drive", int64(len(s.drive)), f.Name)
	}
	if f.Type == "" {
		f.Type = pipedrive.GoogleDoc
	}
	s.drive[f.ID] = &f
	return f.ID
}

// pickID returns id, or for id < 1 the next id after the largest in m.
func pickID[T any](id int64, m map[int64]T) int64 {
	if id >= 1 {
		return id
	}
	for k := range m {
		id = max(id, k)
	}
	return max(id, 0) + 1
}

// linkTarget is what a file linked to an item records about it and its relations.
type linkTarget struct {
	item                          pipedrive.Item
	dealID, personID, orgID       int64
	dealName, personName, orgName string
}

// lookupLocked finds the item; ok is false when it does not exist. s.mu must be held.
func (s *Server) lookupLocked(t pipedrive.ItemType, id int64) (lt linkTarget, ok bool) {
	lt.item = pipedrive.Item{Type: t, ID: id}
	switch t {
	case pipedrive.ItemDeal:
		d, found := s.deals[id]
		if !found {
			return lt, false
		}
		lt.dealID, lt.dealName = d.ID, d.Title
		lt.personID, lt.orgID = d.PersonID, d.OrgID
	case pipedrive.ItemPerson:
		p, found := s.persons[id]
		if !found {
			return lt, false
		}
		lt.personID, lt.orgID = p.ID, p.OrgID
	case pipedrive.ItemOrganization:
		if _, found := s.orgs[id]; !found {
			return lt, false
		}
		lt.orgID = id
	default:
		return lt, false
	}
	lt.personName = s.persons[lt.personID].Name
	lt.orgName = s.orgs[lt.orgID].Name
	return lt, true
}
