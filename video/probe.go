package video

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// probeTimeout bounds one ffprobe run: it reads headers only, a second or less even on a 10-hour video, so a
// probe that takes this long is stuck on a hostile file.
const probeTimeout = 30 * time.Second

// probeOutputLimit bounds what is read of ffprobe's JSON: metadata can be long, but not this long.
const probeOutputLimit = 16 << 20

// maxCredibleDuration is the longest duration believed; a longer one (a damaged header says 10^12 seconds) is
// treated as unknown.
const maxCredibleDuration = 31 * 24 * time.Hour

// Info is what ffprobe says about a video.
type Info struct {
	Duration      time.Duration // 0 when the file does not say
	Width, Height int           // size as displayed: rotation applied (portrait phone videos are taller than wide) and non-square pixels made square
	FrameRate     float64       // average frames per second, 0 when unknown
	HasVideo      bool          // a video stream other than a cover picture
	Codec         string        // the video stream's codec as ffprobe names it: "h264", "hevc", "vp9", "gif", ...
	Container     string        // ffprobe's format_name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mpegts", ...

	stream                  int           // ffmpeg's index of the video stream read (for -map 0:N)
	start                   time.Duration // the file's start time, from which players count (often 0; 1.4 s in a .ts, say)
	codedWidth, codedHeight int           // size of the decoded pictures, before rotation and aspect ratio
}

// Probe reads a video's container and stream headers with ffprobe. A file without a video stream (sound only, or
// sound with a cover picture) gives ErrNoVideoStream, with Info filled in as far as known; a file ffprobe cannot
// read gives ErrCorrupt with ffprobe's reason, and a video whose codec it does not know ErrUnsupported. Errors
// are *Error, except that a cancelled ctx is returned wrapped.
func (t *Tool) Probe(ctx context.Context, path string) (Info, error) {
	if err := checkFile(path); err != nil {
		return Info{}, err
	}
	runCtx, cancel := context.WithTimeoutCause(ctx, probeTimeout, &Error{Kind: ErrTimeout, Timeout: probeTimeout})
	defer cancel()
	input := inputURL(path)
	cmd := command(runCtx, t.FFprobe, "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file",
		"-print_format", "json", "-show_format", "-show_streams", "-i", input)
	out := &cappedBuffer{limit: probeOutputLimit}
	cmd.Stdout = out
	log := &stderrLog{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return Info{}, &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	if err := cmd.Start(); err != nil {
		return Info{}, runError(runCtx, err, path, t.FFprobe, log, input)
	}
	log.read(stderr)
	if err := cmd.Wait(); err != nil || runCtx.Err() != nil {
		return Info{}, runError(runCtx, err, path, t.FFprobe, log, input)
	}
	if out.over {
		return Info{}, &Error{Path: path, Kind: ErrCorrupt, Detail: "ffprobe's description of it is over 16 MB"}
	}
	var p probeJSON
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return Info{}, &Error{Path: path, Kind: ErrCorrupt, Detail: "ffprobe's output cannot be read: " + err.Error()}
	}
	return p.info(path)
}

// probeJSON is the part of "ffprobe -print_format json -show_format -show_streams" read here; the names are
// ffprobe's.
type probeJSON struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		StartTime  string `json:"start_time"`
	} `json:"format"`
}

type probeStream struct {
	Index             int    `json:"index"`
	CodecName         string `json:"codec_name"`
	CodecType         string `json:"codec_type"`
	Width             int    `json:"width"`
	Height            int    `json:"height"`
	SampleAspectRatio string `json:"sample_aspect_ratio"` // "1:1", "0:1" when unknown
	AvgFrameRate      string `json:"avg_frame_rate"`      // "30000/1001", "0/0" when unknown
	RFrameRate        string `json:"r_frame_rate"`
	Duration          string `json:"duration"`
	Disposition       struct {
		AttachedPic int `json:"attached_pic"`
	} `json:"disposition"`
	Tags struct {
		Rotate string `json:"rotate"`
	} `json:"tags"`
	SideDataList []struct {
		SideDataType string          `json:"side_data_type"`
		Rotation     json.RawMessage `json:"rotation"`
	} `json:"side_data_list"`
}

func (p *probeJSON) info(path string) (Info, error) {
	info := Info{Container: p.Format.FormatName, Duration: parseSeconds(p.Format.Duration), start: parseStart(p.Format.StartTime)}
	var v *probeStream
	var others []string
	for i := range p.Streams {
		s := &p.Streams[i]
		switch {
		case s.CodecType == "video" && s.Disposition.AttachedPic == 0:
			if v == nil {
				v = s
			}
		case s.CodecType == "video": // an album cover in an .mp3 or .m4a is a one-picture "video" stream
			others = append(others, "a cover picture")
		case s.CodecType == "audio":
			others = append(others, "sound")
		case s.CodecType != "":
			others = append(others, s.CodecType)
		}
	}
	if v == nil {
		detail := "no streams at all"
		if len(others) > 0 {
			detail = "only " + strings.Join(dedupe(others), " and ")
		}
		return info, &Error{Path: path, Kind: ErrNoVideoStream, Detail: detail}
	}
	info.HasVideo = true
	info.Codec = v.CodecName
	info.stream = v.Index
	info.codedWidth, info.codedHeight = v.Width, v.Height
	if info.Duration == 0 {
		info.Duration = parseSeconds(v.Duration)
	}
	info.FrameRate = parseRate(v.AvgFrameRate)
	if info.FrameRate == 0 {
		info.FrameRate = parseRate(v.RFrameRate)
	}
	if v.Width <= 0 || v.Height <= 0 {
		return info, noPictureSize(path, v.CodecName)
	}
	info.Width, info.Height = v.Width, v.Height
	if sar := parseRate(strings.Replace(v.SampleAspectRatio, ":", "/", 1)); sar > 0 && sar != 1 {
		info.Width = max(1, int(math.Round(float64(v.Width)*sar)))
	}
	if r := v.rotation(); r == 90 || r == 270 {
		info.Width, info.Height = info.Height, info.Width
	}
	return info, nil
}

// rotation is the display rotation in degrees, 0, 90, 180 or 270, from the display matrix side data (ffprobe 5
// and later) or the "rotate" tag (ffprobe 4 and earlier). Only whether it is a quarter turn matters here (ffmpeg
// rotates the frames itself), so the sign convention, which ffprobe changed over the years, does not.
func (s *probeStream) rotation() int {
	deg := math.NaN()
	for _, sd := range s.SideDataList {
		if sd.SideDataType == "Display Matrix" && len(sd.Rotation) > 0 {
			if f, err := strconv.ParseFloat(string(sd.Rotation), 64); err == nil {
				deg = f
			}
		}
	}
	if math.IsNaN(deg) {
		f, err := strconv.ParseFloat(s.Tags.Rotate, 64)
		if err != nil {
			return 0
		}
		deg = f
	}
	r := int(math.Round(deg/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	return r
}

// parseSeconds reads ffprobe's "123.456000"; "N/A", nonsense and incredible values give 0.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || f > maxCredibleDuration.Seconds() {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// parseStart reads ffprobe's start time ("1.400000", "-0.021333", "N/A"); nonsense gives 0.
func parseStart(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > maxCredibleDuration.Seconds() {
		return 0
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond // ffprobe prints microseconds
}

// parseRate reads "30000/1001" or "25"; "0/0" and nonsense give 0.
func parseRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	d := 1.0
	if ok {
		if d, err = strconv.ParseFloat(den, 64); err != nil || d == 0 {
			return 0
		}
	}
	if r := n / d; r > 0 && !math.IsInf(r, 0) {
		return r
	}
	return 0
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// cappedBuffer keeps the first limit bytes written to it and notes whether more came; it never fails a write, so
// the writer is not stopped half-way.
type cappedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
