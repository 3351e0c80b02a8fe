package load

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// refFields splits line at runs of isSpace bytes, one byte at a time.
func refFields(line []byte) [][]byte {
	var f [][]byte
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if j > i {
			f = append(f, line[i:j])
		}
		i = j
	}
	return f
}

func checkSplit(t *testing.T, line string) {
	t.Helper()
	want := refFields([]byte(line))
	got, n := splitFields([]byte(line))
	if len(want) > netflowFields {
		if n != netflowFields+1 {
			t.Errorf("%q: n = %d, want %d (more than %d fields)", line, n, netflowFields+1, netflowFields)
		}
		want = want[:netflowFields]
	} else if n != len(want) {
		t.Errorf("%q: n = %d, want %d", line, n, len(want))
		return
	}
	for i, w := range want {
		if string(got[i]) != string(w) {
			t.Errorf("%q: field %d = %q, want %q", line, i, got[i], w)
		}
	}
}

// splitFields steps eight bytes at a time: runs of every length from 0 to
// 20, starting at every offset in a word, must end where a byte loop ends
// them, with tabs, carriage returns and other control bytes in them.
func TestSplitFields(t *testing.T) {
	for _, line := range []string{
		"",
		" ",
		"        ",
		"                    ",
		"x",
		"1234567",
		"12345678",
		"123456789",
		"1234567 ",
		"12345678 ",
		"1234567\t",
		"       x",
		"        x",
		"x       ",
		"x        ",
		"a b",
		"a\tb",
		"a\rb",
		"a \t \r b",
		"a       \tb",
		"a        \t        \r        b",
		"a\x01b c",            // a control byte that is not a separator
		"a\x00\x1f\x7f\xff b", // bytes around the 0x21 cut and the high bit
		"12345678\x01 x",
		"ab\r\n",
		"2011-08-18 10:19:13.689     4.434 TCP          147.32.84.164:34588 ->          195.24.232.164:80 A_        0       30     1980      1   LEGITIMATE",
		"2011-08-18 10:19:13.689     4.434 TCP          147.32.84.164:34588 ->          195.24.232.164:80 A_        0       30     1980      1   LEGITIMATE   \r",
		"1 2 3 4 5 6 7 8 9 10 11 12 13",
		"1 2 3 4 5 6 7 8 9 10 11 12 13 ",
		"1 2 3 4 5 6 7 8 9 10 11 12 13 14",
		"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
	} {
		checkSplit(t, line)
	}
	seps := []string{" ", "\t", "\r"}
	for pre := 0; pre <= 9; pre++ {
		for run := 0; run <= 20; run++ {
			for k, sep := range []string{
				strings.Repeat(" ", run),
				strings.Repeat(" ", run/2) + seps[run%3] + strings.Repeat(" ", run/3),
				seps[run%3] + strings.Repeat(" ", run),
				strings.Repeat(" ", run) + seps[(run+1)%3],
			} {
				for _, post := range []string{"", "y", "yyyyyyy", "yyyyyyyy", "yyyyyyyyy"} {
					checkSplit(t, strings.Repeat("x", pre)+sep+post)
					checkSplit(t, strings.Repeat("x", pre)+sep+post+sep)
					checkSplit(t, sep+strings.Repeat("x", pre)+sep+post+seps[k%3]+"z")
				}
			}
		}
	}
}

// A dayCache gives the same results and errors as parsing every date: on
// a repeated date, a changed one, one written with slashes and a bad one
// after a good one.
func TestDayCache(t *testing.T) {
	micros := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			panic(err)
		}
		return tm.UnixMicro()
	}
	var c dayCache
	for _, tc := range []struct {
		date, clock string
		want        int64
		bad         bool // want errTime
	}{
		{"2011-08-18", "10:19:13.689", micros("2011-08-18 10:19:13.689"), false},
		{"2011-08-18", "23:59:59.999999", micros("2011-08-18 23:59:59.999999"), false},
		{"2011-08-19", "00:00:00", micros("2011-08-19 00:00:00"), false},
		{"2011-08-18", "10:19:13", micros("2011-08-18 10:19:13"), false},
		{"2011/08/18", "10:19:13", micros("2011-08-18 10:19:13"), false},
		{"2011-08-1x", "10:19:13", 0, true},
		{"2011-13-18", "10:19:13", 0, true},
		{"2011-08-18", "10:19:13", micros("2011-08-18 10:19:13"), false},
		{"2011-08-18", "24:19:13", 0, true},
		{"2011-08-18", "10:60:13", 0, true},
		{"2011-08-18", "10:19:60.123", 0, true}, // was 10:20:00.123
		{"2011-08-18", "10:19:60", 0, true},
		{"2011-08-18", "10:19:99", 0, true},
		{"2011-08-18", "10:19:13.", 0, true},
		{"2011-08-18", "10:19:13.12a", 0, true},
		{"2011-08-18", "1:19:13.123", 0, true},
		{"2011-08-18", "10:19", 0, true},
		{"2011-08-18 ", "10:19:13", 0, true},
		{"2011-08/18", "10:19:13", 0, true},
		{"1969-12-31", "23:59:59.5", micros("1969-12-31 23:59:59.5"), false},
		{"2000-02-29", "12:00:00", micros("2000-02-29 12:00:00"), false},
		{"2012-02-29", "12:00:00", micros("2012-02-29 12:00:00"), false},
		{"2011-08-31", "12:00:00", micros("2011-08-31 12:00:00"), false},
		{"2011-02-29", "12:00:00", 0, true}, // not a leap year
		{"1900-02-29", "12:00:00", 0, true}, // nor is 1900
		{"2011/02/31", "12:00:00", 0, true}, // was 2011-03-03
		{"2011-04-31", "12:00:00", 0, true},
		{"2011-09-31", "12:00:00", 0, true},
		{"2011-08-00", "12:00:00", 0, true},
		{"2011-08-18", "10:19:13.1234567", micros("2011-08-18 10:19:13.123456"), false},
	} {
		got, err := c.parseTime([]byte(tc.date), []byte(tc.clock))
		switch {
		case tc.bad && err != errTime:
			t.Errorf("%s %s: got %d, %v; want errTime", tc.date, tc.clock, got, err)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("%s %s: got %d, %v; want %d", tc.date, tc.clock, got, err, tc.want)
		}
	}
}

// The dates of a chunk's lines change between lines, and a bad date after
// good ones is reported as before.
func TestDateChange(t *testing.T) {
	line := func(date, clock string) string {
		return date + " " + clock + "     0.002 TCP          147.32.86.166:33426 ->       212.24.150.110:25443 FRPA_     0        4      321      1   Background\n"
	}
	text := netflowHeaderLine + "\n" +
		line("2011-08-18", "23:59:59.999") +
		line("2011-08-19", "00:00:00.001") +
		line("2011-08-18", "23:59:59.998") +
		line("2011/08/19", "00:00:00.002")
	path := writeTemp(t, "dates.netflow.labeled", text)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res := mustRun(t, Input{Mem: mem, Path: path}, Params{Columns: []string{ColStartTime}})
	defer res.Flows.Release()
	var got []string
	for i := range int(res.Flows.NumRows()) {
		got = append(got, res.Flows.Column(1).(*array.Timestamp).ValueStr(i))
	}
	if want := "[2011-08-18T23:59:59.999Z 2011-08-19T00:00:00.001Z 2011-08-18T23:59:59.998Z 2011-08-19T00:00:00.002Z]"; fmt.Sprint(got) != want {
		t.Errorf("start times %v, want %s", got, want)
	}

	bad := writeTemp(t, "bad.netflow.labeled", text+line("2011-08-32", "00:00:00.003"))
	_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: bad}, Params{})
	if want := bad + `:6: fields 1-2 (Date flow start) "2011-08-32 00:00:00.003": not a time`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
