package bulk

import (
	"bytes"
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
)

// index knows a plan's rows by position (their order in a pass over the plan) and by
// RowID, in about 24 bytes a row: a plan may have millions.
type index struct {
	byID []keyPos // sorted by content, then position: the occurrences of a content in order
	occ  []uint32 // by position: the row's occurrence of its content
}

// keyPos is a row's content and position.
type keyPos struct {
	content [16]byte
	pos     uint32
}

// buildIndex reads the plan once. A row that is neither a create nor a link is an error.
func buildIndex(src Source) (*index, error) {
	var keys []keyPos
	for row, err := range src() {
		if err == nil {
			err = row.check()
		}
		if err != nil {
			return nil, fmt.Errorf("bulk: reading the plan: %w", err)
		}
		if len(keys) == math.MaxUint32 {
			return nil, fmt.Errorf("bulk: the plan has more than %d rows", uint32(math.MaxUint32))
		}
		keys = append(keys, keyPos{content: row.content(), pos: uint32(len(keys))})
	}
	keys = slices.Clip(keys)
	slices.SortFunc(keys, func(a, b keyPos) int {
		return cmp.Or(bytes.Compare(a.content[:], b.content[:]), cmp.Compare(a.pos, b.pos))
	})
	x := &index{byID: keys, occ: make([]uint32, len(keys))}
	for i, k := range keys {
		x.occ[k.pos] = 1
		if i > 0 && keys[i-1].content == k.content {
			x.occ[k.pos] = x.occ[keys[i-1].pos] + 1
		}
	}
	return x, nil
}

// len is the number of rows.
func (x *index) len() int { return len(x.occ) }

// pos finds the row id names.
func (x *index) pos(id RowID) (uint32, bool) {
	i, found := slices.BinarySearchFunc(x.byID, id.content, func(k keyPos, c [16]byte) int {
		return bytes.Compare(k.content[:], c[:])
	})
	if !found || id.occ == 0 {
		return 0, false
	}
	i += int(id.occ) - 1
	if i >= len(x.byID) || x.byID[i].content != id.content {
		return 0, false
	}
	return x.byID[i].pos, true
}

// rows is one more pass over the plan, each row with its position and id. A row that is
// not the one the index has at its position (the plan changed since New read it) is an
// error, which ends the pass.
func (x *index) rows(src Source) iter.Seq2[located, error] {
	return func(yield func(located, error) bool) {
		var pos uint32
		for row, err := range src() {
			if err == nil {
				err = row.check()
			}
			if err != nil {
				yield(located{Row: row}, fmt.Errorf("bulk: reading the plan: %w", err))
				return
			}
			var id RowID
			if int(pos) < x.len() {
				id = RowID{content: row.content(), occ: x.occ[pos]}
			}
			if p, ok := x.pos(id); !ok || p != pos {
				yield(located{Row: row}, fmt.Errorf("bulk: reading the plan: the row of line %d is not the one read at its place when the run began: a plan must yield the same rows in the same order during a run", row.Line))
				return
			}
			if !yield(located{Row: row, ID: id, pos: pos}, nil) {
				return
			}
			pos++
		}
		if int(pos) != x.len() {
			yield(located{}, fmt.Errorf("bulk: reading the plan: it ended after %d rows, not %d as when the run began", pos, x.len()))
		}
	}
}

// located is a row of the plan with its id and position.
type located struct {
	Row Row
	ID  RowID
	pos uint32
}

// fileSet is a set of file ids, compact for millions: a sorted slice, and a map of the
// ids added since the map was last sorted into the slice.
type fileSet struct {
	sorted []int64
	recent map[int64]struct{}
}

// add puts id in the set.
func (s *fileSet) add(id int64) {
	if s.recent == nil {
		s.recent = make(map[int64]struct{})
	}
	s.recent[id] = struct{}{}
	if len(s.recent) > max(4096, len(s.sorted)/8) {
		for id := range s.recent {
			s.sorted = append(s.sorted, id)
		}
		slices.Sort(s.sorted)
		s.sorted = slices.Compact(s.sorted)
		clear(s.recent)
	}
}

// has reports whether id is in the set.
func (s *fileSet) has(id int64) bool {
	if _, ok := s.recent[id]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.sorted, id)
	return ok
}
