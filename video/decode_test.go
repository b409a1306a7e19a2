package video

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestShowinfoParser(t *testing.T) {
	p := newShowinfoParser("abc123")
	for _, tc := range []struct {
		line string
		n    int
		ts   time.Duration
		ok   bool
	}{
		{"[showinfo@abc123 @ 0x55d0c8a3c480] [info] n:   0 pts:      0 pts_time:0       pos: 48 fmt:rgb24", 0, 0, true},
		{"[showinfo@abc123 @ 0x55d0c8a3c480] [info] n:   1 pts:  -33280 pts_time:-2.16667 pos: 1 fmt:rgb24", 1, -2166670 * time.Microsecond, true},
		{"[showinfo@abc123 @ 0x55d0c8a3c480] [info] config in time_base: 1/15360, frame_rate: 30/1", 0, 0, false},
		// With the time base known, the time is exact rather than pts_time's 6 digits.
		{"[showinfo@abc123 @ 0x55d0c8a3c480] [info] n:   2 pts:  -33280 pts_time:-2.16667 pos: 1 fmt:rgb24", 2, -2166666667, true},
		{"[showinfo@abc123 @ 0x55d0c8a3c480] [info] n:   3 pts:NOPTS pts_time:NOPTS pos: 1", 3, noTime, true},
		{"[showinfo@abc123 @ 0x55d0c8a3c480] n: 4 pts: 15360 pts_time:1", 4, time.Second, true},
		{"[showinfo@abc123 @ 0x55d0c8a3c480] n: 5 pts:552960001 pts_time:36000 pos: 1", 5, 36000*time.Second + 65104, true},
		// Another showinfo, or a file name pretending to be a showinfo line, is not this run's.
		{"[showinfo@other @ 0x1] [info] n:   5 pts: 0 pts_time:0", 0, 0, false},
		{"[Parsed_showinfo_2 @ 0x1] [info] n:   5 pts: 0 pts_time:0", 0, 0, false},
		{"[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x/[showinfo@abc123 @ 0x1] n: 9 pts_time:1':", 0, 0, false},
	} {
		n, ts, ok := p.parse(tc.line)
		if n != tc.n || ts != tc.ts || ok != tc.ok {
			t.Errorf("%q: %d %v %v, want %d %v %v", tc.line, n, ts, ok, tc.n, tc.ts, tc.ok)
		}
	}
}

func TestReadPPM(t *testing.T) {
	var stream bytes.Buffer
	stream.WriteString("P6\n3 1\n255\n")
	stream.Write([]byte{255, 0, 0, 0, 255, 0, 0, 0, 255})
	stream.WriteString("P6\n1 1\n255\n\x01\x02\x03")
	r := bufio.NewReader(&stream)
	var buf []byte
	img, err := readPPM(r, 0, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 3 || !bytes.Equal(img.Pix, []byte{255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255}) {
		t.Errorf("first frame %v %v", img.Bounds(), img.Pix)
	}
	img, err = readPPM(r, 0, &buf)
	if err != nil || !bytes.Equal(img.Pix, []byte{1, 2, 3, 255}) {
		t.Errorf("second frame %v, %v", img, err)
	}
	if _, err := readPPM(r, 0, &buf); err != io.EOF {
		t.Errorf("after the last frame: %v, want EOF", err)
	}
	for _, bad := range []string{"P6\n3 1\n255\n\x00\x00", "P5\n1 1\n255\n\x00", "P6\n99999999999 1\n255\n", "P6\n1 1\n65535\n"} {
		if _, err := readPPM(bufio.NewReader(strings.NewReader(bad)), 0, &buf); err == nil || err == io.EOF {
			t.Errorf("%q: %v, want an error", bad, err)
		}
	}
	if _, err := readPPM(bufio.NewReader(strings.NewReader("P6\n100 100\n255\n")), 1000, &buf); err == nil {
		t.Error("a frame over the pixel limit was accepted")
	}
}

func TestCleanMessage(t *testing.T) {
	input := "file:/videos/a b.mp4"
	log := &stderrLog{}
	log.read(strings.NewReader("[info] Input #0\n" +
		"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c8a3c480] [error] moov atom not found\n" +
		"    Last message repeated 1 times\n" +
		"[error] file:/videos/a b.mp4: Invalid data found when processing input\n" +
		"[fatal] Conversion failed!\n"))
	want := "moov atom not found: the file's index is missing, as when a recording or a download is cut short; " +
		"Invalid data found when processing input"
	if got := log.message(input); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestSeekPoints(t *testing.T) {
	got := seekPoints(100*time.Second, 5)
	want := []time.Duration{0, 22500 * time.Millisecond, 45 * time.Second, 67500 * time.Millisecond, 90 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}
