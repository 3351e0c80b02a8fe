package load

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"unsafe"
)

// isSpace reports whether c separates NetFlow text fields.
func isSpace(c byte) bool { return spaceTab[c] }

var spaceTab = [256]bool{' ': true, '\t': true, '\r': true}

// splitFields cuts line into the runs of bytes between separators and
// returns the first len(f) of them and their number, or len(f)+1 if there
// are more.
//
// NetFlow pads its columns with runs of up to fifteen spaces, whose lengths
// a byte loop mispredicts. Eight bytes at a time, the end of a run of spaces
// is the first nonzero byte of the word XOR 0x20 repeated, and the end of a
// field the first byte below 0x21; the byte found is then checked, so tabs,
// carriage returns and other control bytes are what isSpace says they are.
// The last bytes of the line, fewer than eight, go one at a time.
func splitFields(line []byte) (f [netflowFields][]byte, n int) {
	i := 0
	for {
		for {
			if i > len(line)-8 {
				for i < len(line) && isSpace(line[i]) {
					i++
				}
				break
			}
			x := binary.LittleEndian.Uint64(line[i:]) ^ 0x2020202020202020
			if x == 0 {
				i += 8
				continue
			}
			k := uint(bits.TrailingZeros64(x)) // in the first byte that is not a space
			i += int(k / 8)
			if c := byte(x>>(k&^7)) ^ ' '; c != '\t' && c != '\r' {
				break
			}
			i++
		}
		if i == len(line) {
			return f, n
		}
		j := i + 1
		for {
			if j > len(line)-8 {
				for j < len(line) && !isSpace(line[j]) {
					j++
				}
				break
			}
			x := binary.LittleEndian.Uint64(line[j:])
			// The high bit of each byte below 0x21 (no carry crosses bytes).
			low := ^(x&0x7f7f7f7f7f7f7f7f + 0x5f5f5f5f5f5f5f5f | x) & 0x8080808080808080
			if low == 0 {
				j += 8
				continue
			}
			k := uint(bits.TrailingZeros64(low)) // the high bit of the first such byte
			j += int(k / 8)
			if isSpace(byte(x >> (k &^ 7))) {
				break
			}
			j++
		}
		if n == len(f) {
			return f, n + 1
		}
		f[n] = line[i:j]
		n++
		i = j
	}
}

// trimSpace trims spaces, tabs and carriage returns from both ends of b.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// bstr views b as a string without copying; the result must not outlive b.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

var (
	errNumber = errors.New("not a number")
	errRange  = errors.New("out of range")
	errTime   = errors.New("not a time")

	errEmpty     = errors.New("empty")
	errNotFinite = errors.New("not a finite number")
	errNegative  = errors.New("negative")
)

// parseInt parses a non-negative decimal integer, or a hexadecimal one with a
// 0x prefix (binetflow writes ICMP type/code "ports" that way).
func parseInt(b []byte, max uint64) (int64, error) {
	if len(b) == 0 {
		return 0, errNumber
	}
	var n uint64
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		for _, c := range b[2:] {
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return 0, errNumber
			}
			n = n<<4 | uint64(d)
			if n > max {
				return 0, errRange
			}
		}
		return int64(n), nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errNumber
		}
		n = n*10 + uint64(c-'0')
		if n > max {
			return 0, errRange
		}
	}
	return int64(n), nil
}

// parseFloat parses a decimal number; the common "123.456" form is done by
// hand, anything else (exponents, signs) by strconv.
func parseFloat(b []byte) (float64, error) {
	if len(b) == 0 || len(b) > 18 {
		return slowFloat(b)
	}
	var mant uint64
	frac := -1
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return slowFloat(b)
		}
	}
	if frac <= 0 {
		if frac == 0 && len(b) == 1 {
			return 0, errNumber
		}
		return float64(mant), nil
	}
	// mant < 10^18 < 2^63 is exact only below 2^53; dividing by an exact
	// power of ten rounds once, like strconv does, when mant <= 2^53.
	if mant > 1<<53 {
		return slowFloat(b)
	}
	return float64(mant) / pow10[frac], nil
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// slowFloat parses what the fast path of parseFloat does not: exponents,
// signs, long mantissas. Like bytes and packets, a duration must be a
// finite, non-negative number: NaN, Inf and -5 are rejected.
func slowFloat(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(bstr(b), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, errNumber
	case math.IsNaN(f) || math.IsInf(f, 0): // ParseFloat's ErrRange overflows to ±Inf
		return 0, errNotFinite
	case f < 0:
		return 0, errNegative
	}
	return f, nil
}

// dayCache remembers the last date parseTime read and its day number: the
// lines of a capture share a handful of dates. A parsing goroutine keeps
// its own; the zero value is empty.
type dayCache struct {
	date  [10]byte
	days  int64
	valid bool
}

// parseTime parses "YYYY-MM-DD" or "YYYY/MM/DD" (date) and "hh:mm:ss[.frac]"
// (clock) into microseconds since the Unix epoch, without allocating.
// Fraction digits beyond microseconds are truncated. The clock runs
// 00:00:00 to 23:59:59: a second 60 is not a time. A leap second would
// need the leap-second table to place it, CTU-13's clocks (nfdump, Argus)
// have none, and read as 61 seconds past the minute it would silently
// become the next minute's first second.
func (c *dayCache) parseTime(date, clock []byte) (int64, error) {
	days, ok := c.day(date)
	if !ok || len(clock) < 8 || clock[2] != ':' || clock[5] != ':' {
		return 0, errTime
	}
	h, ok1 := digits(clock[0:2])
	mi, ok2 := digits(clock[3:5])
	s, ok3 := digits(clock[6:8])
	if !(ok1 && ok2 && ok3) || h > 23 || mi > 59 || s > 59 {
		return 0, errTime
	}
	var us int64
	if len(clock) > 8 {
		if clock[8] != '.' || len(clock) == 9 {
			return 0, errTime
		}
		scale := int64(100000)
		for _, c := range clock[9:] {
			if c < '0' || c > '9' {
				return 0, errTime
			}
			us += int64(c-'0') * scale
			scale /= 10
		}
	}
	return ((days*24+h)*60+mi)*60*1e6 + s*1e6 + us, nil
}

// day returns the days since 1970-01-01 of date, or false if date is not
// a date.
func (c *dayCache) day(date []byte) (int64, bool) {
	if len(date) != 10 {
		return 0, false
	}
	if c.valid && [10]byte(date) == c.date {
		return c.days, true
	}
	if (date[4] != '-' && date[4] != '/') || date[7] != date[4] {
		return 0, false
	}
	y, ok1 := digits(date[0:4])
	mo, ok2 := digits(date[5:7])
	d, ok3 := digits(date[8:10])
	if !(ok1 && ok2 && ok3) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	c.date, c.days, c.valid = [10]byte(date), daysFromCivil(y, mo, d), true
	return c.days, true
}

// daysIn returns the number of days of month mo (1..12) of year y in the
// proleptic Gregorian calendar: a date such as 2011-02-31 is not a date,
// and must not become 2011-03-03.
func daysIn(y, mo int64) int64 {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
