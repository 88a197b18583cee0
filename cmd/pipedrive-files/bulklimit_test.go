package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// csvItem is what encoding/csv makes of one record: its fields, or a syntax error, or
// (through a fieldLimiter) the news that the limiter cut it short.
type csvItem struct {
	line int // the record's first line in the input
	rec  []string
	err  bool
	cut  bool
}

// readCSV reads every record of in with encoding/csv, through a fieldLimiter for fields
// of maxField bytes unless maxField is 0. Bit 0 of mode has the limiter read a byte at a
// time, to go through its spill-over; bit 1 has it read its input a byte at a time, to
// go through its refills.
func readCSV(t *testing.T, in string, maxField int, mode int) []csvItem {
	t.Helper()
	var (
		src io.Reader = strings.NewReader(in)
		lim *fieldLimiter
	)
	if maxField > 0 {
		if mode&2 != 0 {
			src = iotest.OneByteReader(src)
		}
		lim = newFieldLimiter(src, maxField)
		src = lim
		if mode&1 != 0 {
			src = iotest.OneByteReader(lim)
		}
	}
	resolve := func(line int) (int, *cut) {
		if lim == nil {
			return line, nil
		}
		return lim.resolve(line)
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	var items []csvItem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return items
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line, _ := resolve(pe.StartLine)
			items = append(items, csvItem{line: line, err: true})
			continue
		}
		require.NoError(t, err)
		line, _ := r.FieldPos(0)
		line, c := resolve(line)
		items = append(items, csvItem{line: line, rec: rec, cut: c != nil})
	}
}

// Through a fieldLimiter, encoding/csv reads every record it would read without one, on
// the same line, except those with a field longer than the limit or more fields than a
// valid row has, which are cut short and said so: random inputs of quotes, commas, CRs,
// LFs and letters, with fields of at most 4 bytes.
func TestFieldLimiterAgreesWithEncodingCSV(t *testing.T) {
	t.Parallel()
	const maxField = 4
	inputs := []string{
		"", "\n", "a,b\n", "abcdefghijk,b\nc,d\n", `"ab""""""""""cd",x` + "\nnext,1\n",
		"\"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\",x\nafter,1\n", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,0,1,2,3\nok\n",
		"\"abc\"x,longlonglong\nok\n", "ab\"cdefghijklmnop\nok\n", "\"aaaaaaaaaaaa\"x\nok\n", "\"abcdefghij\r\nk\"\r\nok\r\n",
		"\"ab\"\r,x\nok\n", `""""""""""` + "\r\nok\n", `""""""""""` + "\r\n", "abcd\r\n", strings.Repeat("a,", 40) + "\n\n\nok,1\n", "\r\n\r\nabcdefghij\r\n", "\"unterminated and long\nstill\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aaaa,,\"\"\n\r"
	for range 2000 {
		b := make([]byte, rng.IntN(120))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for i, in := range inputs {
		plain := readCSV(t, in, 0, 0)
		limited := readCSV(t, in, maxField, i%4)
		require.Len(t, limited, len(plain), "%q", in)
		for k, got := range limited {
			want := plain[k]
			require.Equal(t, want.line, got.line, "%q: record %d", in, k)
			switch {
			case got.cut:
				long := len(want.rec) > numColumns
				for _, f := range want.rec {
					long = long || len(f) > maxField
				}
				require.True(t, want.err || long, "%q: record %d was cut, but is %q", in, k, want.rec)
			case got.err:
				require.True(t, want.err, "%q: record %d", in, k)
			default:
				require.Equal(t, want, got, "%q: record %d", in, k)
			}
		}
	}
}

// Input with no field near the limit goes through byte for byte.
func TestFieldLimiterPassesValidInputUnchanged(t *testing.T) {
	t.Parallel()
	in := "\r\naction,item_type,item_id,file_type,title\r\ncreate,deal,12,gdoc,\"Budget, \"\"2026\"\"\r\nsecond line\"\r\n" +
		"\n" + "create,deal,12,gdoc," + strings.Repeat("x", maxFieldBytes) + "\n" +
		"create,deal,12,gdoc,\"" + strings.Repeat(`""`, maxFieldBytes) + "\"\r\n" +
		"bad\"quote," + strings.Repeat("y", 3*maxFieldBytes) + "\nlast,no newline"
	for _, oneByte := range []bool{false, true} {
		var r io.Reader = newFieldLimiter(strings.NewReader(in), maxFieldBytes)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		out, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.True(t, in == string(out), "the input, unchanged")
	}
}

// A field longer than maxFieldBytes once read is an invalid row naming its line and
// column, whether fieldLimiter or the check after encoding/csv finds it; the rows after
// it keep their line numbers.
func TestCheckInputLimitsFields(t *testing.T) {
	t.Parallel()
	const header = "action,item_type,item_id,file_type,title\n"
	quoted := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	lines := strings.Repeat("a line\r\n", maxFieldBytes/4) // longer than the limit once read
	in := header +
		"create,deal,12,gdoc," + strings.Repeat("x", maxFieldBytes) + "\n" + // 2: at the limit
		"create,deal,12,gdoc," + strings.Repeat("x", maxFieldBytes+1) + "\n" + // 3: one byte over
		"create,deal,12,gdoc," + quoted(strings.Repeat(`"`, maxFieldBytes)) + "\n" + // 4: at the limit, twice as long in the file
		"create,deal,12,gdoc," + quoted(strings.Repeat(`"`, maxFieldBytes+1)) + "\n" + // 5: over, cut by the limiter
		"create,deal,12,gdoc," + quoted(lines) + "\n" + // 6 to 6+maxFieldBytes/4
		"create,deal,0,gdoc,after\n" + // 7+maxFieldBytes/4
		"create,deal,12,gdoc,x" + strings.Repeat(","+strings.Repeat("y", maxFieldBytes), 15) + "\n" + // 8+maxFieldBytes/4: 20 fields
		"create,deal,-1,gdoc,last\n" // 9+maxFieldBytes/4
	plan, bad, err := checkInput(strings.NewReader(in))
	require.NoError(t, err)
	tooLong := ": title: longer than 65536 bytes (64 KiB), the limit for a field"
	n := maxFieldBytes / 4
	assert.Equal(t, []string{
		"line 3" + tooLong,
		"line 5" + tooLong,
		"line 6" + tooLong,
		fmt.Sprintf(`line %d: item_id: must be a positive whole number, got "0"`, 7+n),
		fmt.Sprintf("line %d: longer than %d bytes, which no valid row is (at most 7 fields of 65536 bytes): too many fields?", 8+n, maxRawRecord),
		fmt.Sprintf(`line %d: item_id: must be a positive whole number, got "-1"`, 9+n),
	}, bad)
	assert.Equal(t, 2, plan.rows)

	_, bad, err = checkInput(strings.NewReader("\naction," + strings.Repeat("t", maxFieldBytes+1) + ",item_type\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"line 2: column 2 of the header: longer than 65536 bytes (64 KiB), the limit for a field"}, bad)
}

// repeated is an io.Reader of n bytes b, made without holding them.
type repeated struct {
	b byte
	n int
}

func (r *repeated) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	for i := range p {
		p[i] = r.b
	}
	r.n -= len(p)
	return len(p), nil
}

// A 50 MB title is an invalid row naming its line, found while holding far less than
// the field: encoding/csv alone held it whole, twice (479 MB of RSS for a --dry-run).
// Not parallel: it measures the process's allocations.
func TestCheckInputReadsA50MBTitleInBoundedMemory(t *testing.T) {
	const size = 50 << 20
	in := io.MultiReader(
		strings.NewReader("action,item_type,item_id,file_type,title\ncreate,deal,12,gdoc,fine\ncreate,deal,12,gdoc,"),
		&repeated{b: 'x', n: size},
		strings.NewReader("\ncreate,deal,12,gdoc,\"quoted "),
		&repeated{b: '\n', n: size / 10},
		strings.NewReader("\"\ncreate,deal,0,gdoc,after\n"),
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	plan, bad, err := checkInput(in)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"line 3: title: longer than 65536 bytes (64 KiB), the limit for a field",
		"line 4: title: longer than 65536 bytes (64 KiB), the limit for a field",
		fmt.Sprintf(`line %d: item_id: must be a positive whole number, got "0"`, 5+size/10),
	}, bad)
	assert.Equal(t, 1, plan.rows)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB reading %d MiB", allocated>>10, (size+size/10)>>20)
	assert.Less(t, allocated, uint64(4<<20), "allocated while reading: far less than the 50 MB field")
}
