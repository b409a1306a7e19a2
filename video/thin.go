package video

import "time"

// frameKind is why a frame was taken, which decides what thinning keeps.
type frameKind int

const (
	keptForInterval frameKind = iota // Interval had passed since the previous frame
	keptForScene                     // the picture changed (ffmpeg's scene score)
	keptAsFirst                      // the first frame
)

// sceneWeight is how much more a scene change's frame is worth keeping than one taken for the interval.
const sceneWeight = 2

type candidate struct {
	Frame
	kind frameKind
}

// sampler keeps at most limit of the frames given to it in time order, as many as arrive: when one too many is
// held, the frame that covers least is dropped, that is the one whose neighbours are closest together (a scene
// change counting sceneWeight times as far), never the first nor the latest. Frames close together go first, so
// what is kept stays spread over all the time seen, from the first frame to the last, while memory stays at limit
// frames, whatever the video's length, known or not.
type sampler struct {
	kept  []candidate
	limit int
}

func newSampler(limit int) *sampler { return &sampler{limit: max(limit, 2)} }

func (s *sampler) add(c candidate) {
	s.kept = append(s.kept, c)
	for len(s.kept) > s.limit {
		s.drop()
	}
}

// thin drops frames until m are left, and returns them.
func (s *sampler) thin(m int) []candidate {
	if m <= 1 {
		return s.kept[:min(len(s.kept), 1)]
	}
	for len(s.kept) > m {
		s.drop()
	}
	return s.kept
}

// drop removes the frame of least coverage (the earliest of equals) between the first and the latest.
func (s *sampler) drop() {
	k := s.kept
	worst, worstSpan := -1, time.Duration(0)
	for i := 1; i < len(k)-1; i++ {
		span := k[i+1].Time - k[i-1].Time
		if k[i].kind == keptForScene {
			span *= sceneWeight
		}
		if worst < 0 || span < worstSpan {
			worst, worstSpan = i, span
		}
	}
	if worst < 0 { // nothing between the first and the latest
		return
	}
	s.kept = append(k[:worst], k[worst+1:]...)
}
