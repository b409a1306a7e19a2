package sorter

import "testing"

// The score column matches Python's round(p, 2) as pandas writes it; the
// expected values were computed with Python 3 on the float32 values.
func TestFormatScore2(t *testing.T) {
	for _, tc := range []struct {
		p    float32
		want string
	}{
		{0.97, "0.97"},
		{0.5, "0.5"},
		{1, "1.0"},
		{0, "0.0"},
		{0.125, "0.12"}, // exact tie: half to even, as Python
		{0.375, "0.38"}, // exact tie: half to even
		{0.994999, "0.99"},
		{0.995, "1.0"}, // float32(0.995) is 0.99500000476...: rounds up, as Python
		{0.005, "0.0"}, // float32(0.005) is 0.00499999988...: rounds down, as Python
		{0.333333, "0.33"},
		{0.1, "0.1"},
	} {
		if got := formatScore2(tc.p); got != tc.want {
			t.Errorf("formatScore2(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestScoreOrder(t *testing.T) {
	s := newScore([]float32{0.2, 0.5, 0.2, 0.1})
	want := []int{1, 0, 2, 3} // ties keep label order
	for i := range want {
		if s.order[i] != want[i] {
			t.Fatalf("order = %v, want %v", s.order, want)
		}
	}
	if best, p := s.best(); best != 1 || p != 0.5 {
		t.Errorf("best = %d, %v", best, p)
	}
}
