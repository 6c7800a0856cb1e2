package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJavaLongDecode(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0x11cc", 4556, true},
		{"0X11CC", 4556, true},
		{"#11cc", 4556, true},
		{"-0x10", -16, true},
		{"+0x10", 16, true},
		{"4556", 4556, true},
		{"010", 8, true}, // a leading zero means octal
		{"0", 0, true},
		{"0x7fffffffffffffff", 1<<63 - 1, true},
		{"-0x8000000000000000", -1 << 63, true},
		{"0x8000000000000000", 0, false},
		{"", 0, false},
		{"0x", 0, false},
		{"0x-1", 0, false},
		{"--1", 0, false},
		{"0b101", 0, false},
		{"1_000", 0, false},
		{"09", 0, false},
		{" 1", 0, false},
	}
	for _, tt := range tests {
		got, err := javaLongDecode(tt.in)
		if !tt.ok {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestJavaWhitespaceAndTrim(t *testing.T) {
	for _, r := range []rune{' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1f, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x205f, 0x3000} {
		require.True(t, javaIsWhitespace(r), "%U", r)
	}
	for _, r := range []rune{'a', 0x00a0, 0x2007, 0x202f, 0x0085, 0x200b, 0xfeff, 0x01} {
		require.False(t, javaIsWhitespace(r), "%U", r)
	}
	require.True(t, javaBlank(" \t\x00\x1f"))
	require.False(t, javaBlank(" \u3000 ")) // trim() only strips <= U+0020
	require.Equal(t, "a b", javaTrim("\x01 a b \n"))
	require.Equal(t, []string{"a", "b", ""}, javaSplitWhitespace("  a \n\tb  "))
	require.Equal(t, []string{""}, javaSplitWhitespace(""))
}

func TestJavaStringHash(t *testing.T) {
	// Values of java.lang.String.hashCode.
	require.Equal(t, int32(0), javaStringHash(""))
	require.Equal(t, int32(97), javaStringHash("a"))
	require.Equal(t, int32(99162322), javaStringHash("hello"))
	require.Equal(t, int32(31*0xD83D+0xDE00), javaStringHash("😀")) // two UTF-16 units
	require.Equal(t, int32(2112), javaStringHash("Aa"))
	require.Equal(t, int32(2112), javaStringHash("BB"))
	// Overflow wraps like Java: the well-known key hashing to MIN_VALUE.
	require.Equal(t, int32(-2147483648), javaStringHash("polygenelubricants"))
}

func TestAccessMaskIterationOrder(t *testing.T) {
	keys := make([]string, len(accessMaskFlags))
	for i, f := range accessMaskFlags {
		keys[i] = f.key
	}
	require.Equal(t, accessMaskIterationOrder[:], javaHashMapOrder(keys))
}

func TestJavaHashMapOrderResizes(t *testing.T) {
	// 13 keys force a 32-bucket table; the order must still be a
	// permutation that is stable for keys sharing a bucket.
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}
	order := javaHashMapOrder(keys)
	require.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, order)
	// Single letters hash to their code point, so with 32 buckets the order
	// is by code point modulo 32: "a" (97 -> 1) first.
	require.Equal(t, 0, order[0])
}

func TestMessageDescription(t *testing.T) {
	for code, want := range map[string]string{
		"279":   "Undefined Access (no effect) Bit 7",
		"1537":  "DELETE",
		"1543":  "MAX_ALLOWED",
		"4416":  "ReadData (or ListDirectory)",
		"4423":  "ReadAttributes",
		"4432":  "Query key value",
		"4447":  "Undefined Access (no effect) Bit 15",
		"4864":  "Query State",
		"5647":  "",
		"6930":  "Full Control",
		"7688":  "Control Access",
		"8098":  "Fresh credentials",
		"12800": "File System",
		"13312": "Process Creation",
		"14339": "Kerberos Authentication Service",
		"4583":  "",
		"1792":  "", // not an access right: left out of this table
		"+1537": "",
	} {
		got, ok := messageDescription(code)
		require.Equal(t, want != "", ok, code)
		require.Equal(t, want, got, code)
	}
}

func TestParseConvertLong(t *testing.T) {
	for in, want := range map[string]int64{"3616": 3616, "+12": 12, "0x10": 16, "-0x10": -16, "010": 10} {
		got, ok := parseConvertLong(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0X10", "abc", "1.5", "0x"} {
		_, ok := parseConvertLong(in)
		require.False(t, ok, in)
	}
}
