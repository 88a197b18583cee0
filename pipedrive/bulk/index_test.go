package bulk

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The index knows every row by id, identical rows by their occurrence in plan order.
func TestIndex(t *testing.T) {
	t.Parallel()
	plan := []Row{create(2, 1, "a"), create(3, 1, "b"), create(4, 1, "a"), create(5, 2, "a"), create(6, 1, "a")}
	x, err := buildIndex(Slice(plan))
	require.NoError(t, err)
	var ids []RowID
	for l, err := range x.rows(Slice(plan)) {
		require.NoError(t, err)
		ids = append(ids, l.ID)
		pos, ok := x.pos(l.ID)
		require.True(t, ok)
		assert.Equal(t, l.pos, pos)
	}
	require.Len(t, ids, 5)
	assert.Equal(t, []uint32{1, 1, 2, 1, 3}, []uint32{ids[0].occ, ids[1].occ, ids[2].occ, ids[3].occ, ids[4].occ})
	assert.Equal(t, ids[0].content, ids[4].content)
	_, ok := x.pos(RowID{content: ids[0].content, occ: 4})
	assert.False(t, ok, "a fourth occurrence the plan does not have")
	_, ok = x.pos(RowID{content: ids[1].content, occ: 2})
	assert.False(t, ok, "the next content's first occurrence is not this one's second")
	_, ok = x.pos(RowID{})
	assert.False(t, ok)
}

// The file set answers exactly, across the merges of its recent additions.
func TestFileSet(t *testing.T) {
	t.Parallel()
	var s fileSet
	for i := range 20000 {
		s.add(int64(i * 3))
		s.add(int64(i * 3)) // twice: still one
	}
	assert.Greater(t, len(s.sorted), 4096, "recent additions were merged")
	for i := range 60000 {
		assert.Equal(t, i%3 == 0, s.has(int64(i)), fmt.Sprint(i))
	}
	// No duplicate survives a merge:
	for i := 1; i < len(s.sorted); i++ {
		require.Less(t, s.sorted[i-1], s.sorted[i])
	}
}
