package video

import (
	"slices"
	"testing"
	"time"
)

func cands(kinds string, step time.Duration) []candidate {
	c := make([]candidate, len(kinds))
	for i, k := range kinds {
		c[i].Time = time.Duration(i) * step
		switch k {
		case 'F':
			c[i].kind = keptAsFirst
		case 's':
			c[i].kind = keptForScene
		}
	}
	return c
}

func times(c []candidate) []time.Duration {
	ts := make([]time.Duration, len(c))
	for i, x := range c {
		ts[i] = x.Time
	}
	return ts
}

func TestThin(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name  string
		cands []candidate
		m     int
		want  []time.Duration
	}{
		{"few enough", cands("F..", s), 5, []time.Duration{0, s, 2 * s}},
		{"evenly", cands("F........", s), 3, []time.Duration{0, 4 * s, 8 * s}},
		{"scene frame preferred in its slice", cands("F..s.....", s), 3, []time.Duration{0, 3 * s, 8 * s}},
		{"one", cands("F....", s), 1, []time.Duration{0}},
		{"the lone far frame kept", append(cands("F..", s), candidate{Frame: Frame{Time: 100 * s}}), 3,
			[]time.Duration{0, 2 * s, 100 * s}},
		{"a burst of scene changes thinned too", append(cands("F.sssssss", s), cands("........", 10*s)[1:]...), 4,
			[]time.Duration{0, 4 * s, 40 * s, 70 * s}},
	} {
		s := newSampler(len(tc.cands))
		for _, c := range tc.cands {
			s.add(c)
		}
		if got := times(s.thin(tc.m)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSamplerKeepsCoverage: frames thinned as they come, as decodeFrames does (at twice the cap), end up spread
// over the whole time, the first frame and scene changes among them.
func TestSamplerKeepsCoverage(t *testing.T) {
	const m = 8
	s := newSampler(2 * m)
	for i := 0; i < 1000; i++ {
		c := candidate{Frame: Frame{Time: time.Duration(i) * time.Second}}
		if i == 0 {
			c.kind = keptAsFirst
		} else if i%37 == 0 {
			c.kind = keptForScene
		}
		s.add(c)
	}
	kept := s.thin(m)
	ts := times(kept)
	if len(ts) != m || ts[0] != 0 || ts[m-1] < 900*time.Second {
		t.Fatalf("kept %v", ts)
	}
	scenes := 0
	for i := 1; i < m; i++ {
		if gap := ts[i] - ts[i-1]; gap > 1000*time.Second/m*2 {
			t.Errorf("kept %v: gap of %v", ts, gap)
		}
		if kept[i].kind == keptForScene {
			scenes++
		}
	}
	if scenes < m/2 {
		t.Errorf("kept %v: %d scene changes", ts, scenes)
	}
}
