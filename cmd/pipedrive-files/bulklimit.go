package main

import (
	"bytes"
	"io"
)

// maxFieldBytes is the longest field a bulk input may have, in bytes once read as CSV
// (64 KiB): a longer one is an invalid row. No title or Drive id comes near it; the limit
// keeps a broken or hostile input (a 50 MB title, a file that is not CSV) from filling
// memory, or from being sent.
const maxFieldBytes = 64 << 10

// maxRawRecord is the longest record fieldLimiter lets through with maxFieldBytes.
const maxRawRecord = numColumns * (2*maxFieldBytes + 3)

// csvState is where fieldLimiter is in the CSV syntax, as encoding/csv reads it (comma
// separated, no comments, strict quotes).
type csvState uint8

const (
	atRecordStart csvState = iota // between records, where empty lines are skipped
	atFieldStart
	inUnquoted
	inQuoted
	atQuote   // a quote in a quoted field: its end, or the first of ""
	atQuoteCR // a quote then a CR in a quoted field: its end if LF follows
	inBadLine // encoding/csv found an error here: it skips the rest of the line
)

// inField reports whether s is inside a field.
func (s csvState) inField() bool { return s >= inUnquoted && s <= atQuoteCR }

// cut is a record fieldLimiter cut short.
type cut struct {
	csvLine int // the line encoding/csv sees the record start on
	line    int // the line it starts on in the input
	field   int // the index of the field that is too long; -1: the record as a whole is
	// shift is the input's line number minus encoding/csv's after the record (the lines
	// dropped with it); set once the record's end is read.
	shift int
}

// fieldLimiter stands between the input and encoding/csv, which holds a whole record in
// memory, however long: it lets no field longer than maxRawField bytes through, and no
// record longer than maxRawRecord. It follows the CSV syntax as encoding/csv reads it; a
// field or record too long is ended there (with a closing quote if need be, and a
// newline) and the rest of the record is dropped. The reader of the records asks
// resolve whether a record was cut, and for its line in the input: encoding/csv does not
// count the lines dropped.
//
// Valid input goes through unchanged. A field of at most maxField bytes once read takes
// at most maxRawField = 2×maxField+2 bytes of the file: two for each byte (a "" or a
// CRLF in a quoted field) and its two quotes. A valid row has at most numColumns such
// fields, the commas between them and a CR: maxRawRecord = numColumns×(maxRawField+1).
type fieldLimiter struct {
	maxRawField, maxRawRecord int

	r   io.Reader
	buf []byte // read from r; buf[pos:] is still to go through
	pos int
	err error  // r's error, returned once buf is used up
	out []byte // bytes ready that did not fit into the last Read
	// Where the next comma, LF and quote are in buf at or after pos (len(buf): none), or
	// less than pos when not looked for since.
	nextComma, nextLF, nextQuote int

	state         csvState
	line, csvLine int // the current line, in the input and as encoding/csv counts it
	// The current record: its first line (both ways), field, and bytes so far.
	recLine, recCSVLine        int
	field, fieldRaw, recordRaw int
	dropping                   *cut // the record being dropped, if any

	cuts  []*cut // the cuts the reader of the records has not gone past
	shift int    // the input's line number minus encoding/csv's, at the last record resolved
}

// newFieldLimiter reads the CSV in r, for fields of at most maxField bytes.
func newFieldLimiter(r io.Reader, maxField int) *fieldLimiter {
	return &fieldLimiter{
		maxRawField: 2*maxField + 2, maxRawRecord: numColumns * (2*maxField + 3),
		r: r, buf: make([]byte, 0, 32<<10), line: 1, csvLine: 1,
		nextComma: -1, nextLF: -1, nextQuote: -1,
	}
}

// Read passes the input on, cut where fieldLimiter says.
func (l *fieldLimiter) Read(p []byte) (int, error) {
	n := copy(p, l.out)
	l.out = l.out[n:]
	for n < len(p) {
		if l.pos == len(l.buf) {
			if n > 0 || l.err != nil {
				break
			}
			var m int
			m, l.err = l.r.Read(l.buf[:cap(l.buf)])
			l.buf, l.pos = l.buf[:m], 0
			l.nextComma, l.nextLF, l.nextQuote = -1, -1, -1
			continue
		}
		if k, ok := l.passPlain(p[n:]); ok {
			n += k
			continue
		}
		c := l.buf[l.pos]
		l.pos++
		out, k := l.step(c)
		for _, b := range out[:k] {
			if n < len(p) {
				p[n] = b
				n++
			} else {
				l.out = append(l.out, b)
			}
		}
	}
	if n == 0 {
		return 0, l.err
	}
	return n, nil
}

// passPlain passes on a run of bytes that leave the state as it is (the inside of a
// field or of a bad line), as far as the limits and p allow, or drops it when the record
// is being dropped; it returns how many bytes it put into p. ok is false when the next
// byte must go through step: it changes the state, or reaches a limit.
func (l *fieldLimiter) passPlain(p []byte) (k int, ok bool) {
	end := l.pos
	switch l.state {
	case inUnquoted:
		end = min(l.next(',', &l.nextComma), l.next('\n', &l.nextLF), l.next('"', &l.nextQuote))
	case inQuoted:
		end = l.next('"', &l.nextQuote) // LFs are counted below
	case inBadLine:
		end = l.next('\n', &l.nextLF)
	}
	m := end - l.pos
	if m == 0 {
		return 0, false
	}
	consume := m
	switch {
	case l.dropping != nil:
		k = 0
	case l.state == inBadLine:
		// Passed on up to the record's limit, dropped after it (see step).
		k = min(m, max(0, l.maxRawRecord-l.recordRaw), len(p))
		if l.recordRaw+k < l.maxRawRecord {
			consume = k
		}
	default:
		k = min(m, l.maxRawField-l.fieldRaw, l.maxRawRecord-l.recordRaw, len(p))
		if k <= 0 {
			return 0, false
		}
		consume = k
	}
	run := l.buf[l.pos : l.pos+consume]
	copy(p, run[:k])
	if l.state == inQuoted {
		lf := bytes.Count(run, []byte{'\n'})
		l.line += lf
		if l.dropping == nil {
			l.csvLine += lf // passed on: k == consume
		}
	}
	l.pos += consume
	l.recordRaw += consume
	if l.state != inBadLine {
		l.fieldRaw += consume
	}
	return k, true
}

// next returns where the next c is in buf at or after pos (len(buf) when there is none),
// looking only when *cache, where it was last found, is behind pos.
func (l *fieldLimiter) next(c byte, cache *int) int {
	if *cache < l.pos {
		*cache = len(l.buf)
		if i := bytes.IndexByte(l.buf[l.pos:], c); i >= 0 {
			*cache = l.pos + i
		}
	}
	return *cache
}

// step goes through one byte of the input and returns the bytes to pass on for it.
func (l *fieldLimiter) step(c byte) (out [2]byte, k int) {
	if c == '\n' {
		l.line++
	}
	prev := l.state
	ended := l.advance(c)
	switch {
	case l.dropping != nil:
		if ended {
			l.dropping.shift = l.line - l.csvLine
			l.dropping = nil
		}
		return out, 0
	case l.state.inField() && l.fieldRaw > l.maxRawField:
		return l.cut(prev, l.field)
	case l.state == inBadLine && prev != inBadLine:
		// The byte encoding/csv stops at: passed on, so that it reports the error.
	case l.state == inBadLine && l.recordRaw > l.maxRawRecord && !ended:
		return out, 0 // encoding/csv skips the rest of the line: it need not hold it
	case l.recordRaw > l.maxRawRecord && !ended:
		return l.cut(prev, -1)
	}
	if c == '\n' {
		l.csvLine++
	}
	out[0] = c
	return out, 1
}

// cut ends the current record, in state prev, for field (-1: for its length), and drops
// the rest of it.
func (l *fieldLimiter) cut(prev csvState, field int) (out [2]byte, k int) {
	c := &cut{csvLine: l.recCSVLine, line: l.recLine, field: field}
	l.cuts = append(l.cuts, c)
	l.dropping = c
	l.csvLine++ // for the newline passed on
	if prev == inQuoted {
		return [2]byte{'"', '\n'}, 2
	}
	return [2]byte{'\n'}, 1 // after a field's closing quote, or outside quotes
}

// advance moves the state on by c and counts it; it reports whether c ended a record.
func (l *fieldLimiter) advance(c byte) (ended bool) {
	switch l.state {
	case atRecordStart:
		if c == '\n' {
			return false // an empty line
		}
		l.recLine, l.recCSVLine = l.line, l.csvLine
		l.field, l.recordRaw = 0, 0
		l.state = atFieldStart
		fallthrough
	case atFieldStart:
		l.fieldRaw = 0
		switch c {
		case '"':
			l.state = inQuoted
		case ',':
			l.field++
		case '\n':
			ended = true
		default:
			l.state = inUnquoted
		}
	case inUnquoted:
		switch c {
		case ',':
			l.field++
			l.state = atFieldStart
		case '\n':
			ended = true
		case '"':
			l.state = inBadLine // a quote inside an unquoted field
		}
	case inQuoted:
		if c == '"' {
			l.state = atQuote
		}
	case atQuote:
		switch c {
		case '"':
			l.state = inQuoted
		case ',':
			l.field++
			l.state = atFieldStart
		case '\n':
			ended = true
		case '\r':
			l.state = atQuoteCR
		default:
			l.state = inBadLine // a quote not followed by a quote, comma or line end
		}
	case atQuoteCR:
		if c == '\n' {
			ended = true
		} else {
			l.state = inBadLine
		}
	case inBadLine:
		ended = c == '\n'
	}
	if ended {
		l.state = atRecordStart
		l.recordRaw, l.fieldRaw = 0, 0
		return true
	}
	l.recordRaw++
	if l.state.inField() && l.state != atQuoteCR { // the CR of a CRLF after the quote ends the line
		l.fieldRaw++
	}
	return false
}

// resolve takes the line encoding/csv says a record starts on, and returns the line it
// starts on in the input, and its cut if fieldLimiter cut it short. Records must be
// resolved in the order they are read.
func (l *fieldLimiter) resolve(csvLine int) (line int, c *cut) {
	for len(l.cuts) > 0 && l.cuts[0].csvLine < csvLine {
		l.shift = l.cuts[0].shift
		l.cuts = l.cuts[1:]
	}
	if len(l.cuts) > 0 && l.cuts[0].csvLine == csvLine {
		return l.cuts[0].line, l.cuts[0]
	}
	return csvLine + l.shift, nil
}
