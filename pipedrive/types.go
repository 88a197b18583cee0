package pipedrive

import "github.com/e97b4d80/pipedrive-remote-files/gen"

// FileType is the kind of Google file [FilesService.CreateRemote] creates.
type FileType string

// The Google file types Pipedrive can create.
const (
	GoogleDoc     FileType = "gdoc"
	GoogleSlides  FileType = "gslides"
	GoogleSheet   FileType = "gsheet"
	GoogleForm    FileType = "gform"
	GoogleDrawing FileType = "gdraw"
)

// Valid reports whether t is one of the file types Pipedrive accepts.
func (t FileType) Valid() bool { return gen.FileType(t).Valid() }

// ItemType is the kind of Pipedrive item a file is linked to.
type ItemType string

// The Pipedrive items a remote file can be linked to.
const (
	ItemDeal         ItemType = "deal"
	ItemPerson       ItemType = "person"
	ItemOrganization ItemType = "organization"
)

// Valid reports whether t is one of the item types Pipedrive accepts.
func (t ItemType) Valid() bool { return gen.ItemType(t).Valid() }

// Item names the deal, person or organization a file is linked to.
type Item struct {
	Type ItemType
	ID   int64
}

// Deal returns the Item for the deal with the given id.
func Deal(id int64) Item { return Item{Type: ItemDeal, ID: id} }

// Person returns the Item for the person with the given id.
func Person(id int64) Item { return Item{Type: ItemPerson, ID: id} }

// Organization returns the Item for the organization with the given id.
func Organization(id int64) Item { return Item{Type: ItemOrganization, ID: id} }

// validate checks the item; field is the caller's name for it, e.g. "Item".
func (it Item) validate(field string) error {
	if !it.Type.Valid() {
		return &ValidationError{Field: field + ".Type", Reason: `must be "deal", "person" or "organization", got ` + quote(string(it.Type))}
	}
	if it.ID < 1 {
		return &ValidationError{Field: field + ".ID", Reason: "must be a positive item id"}
	}
	return nil
}
