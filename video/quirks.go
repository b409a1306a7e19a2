package video

// Workarounds for ffmpeg's behaviour, each with its cause and how to tell when it can go. Three more live where
// they act: album covers that ffprobe lists as video streams (probe.go, info), the sign of the display matrix's
// rotation, which ffprobe changed over the years (probe.go, rotation), and the need for -copyts to get exact
// times after a seek (decode.go, args). The tests avoid one: ffmpeg's scene score sees brightness only
// (fixtures_test.go, knownSegments).

// passthroughArgs makes ffmpeg pass frames through as the filters leave them. Cause: the image2pipe muxer has no
// variable frame rate flag, so ffmpeg's default ("-vsync auto") picks constant frame rate for it and would repeat
// each selected frame to fill the gaps up to the next one, at the video's frame rate. ffmpeg 5.1 renamed -vsync
// to -fps_mode and deprecated -vsync (still accepted, with a warning, through 7.x); older versions know only
// -vsync. When ffmpeg before 5.1 no longer matters, this can be -fps_mode passthrough always.
func (t *Tool) passthroughArgs() []string {
	if t.atLeast(5, 1) {
		return []string{"-fps_mode", "passthrough"}
	}
	return []string{"-vsync", "passthrough"}
}

// noPictureSize explains a video stream that ffprobe gives no width and height: its codec is one this ffmpeg
// cannot decode. Cause, for WebP: ffmpeg's webp decoder reads still pictures only, so an animated WebP (ANIM and
// ANMF chunks) has "image data not found" and no size; ffmpeg's own changelog will say when animated WebP decoding
// arrives, and TestFramesAnimatedWebP then gets frames.
func noPictureSize(path, codec string) *Error {
	detail := "its video, coded as " + codec + ", has no picture size: this ffmpeg does not know how to decode it"
	switch codec {
	case "webp":
		detail = "animated WebP: this ffmpeg's WebP decoder reads still pictures only"
	case "":
		detail = "its video is coded in a way ffprobe does not recognise"
	}
	return &Error{Path: path, Kind: ErrUnsupported, Detail: detail}
}

// logLevel is info (showinfo logs at that level), with each line tagged with its level ("[error]") where this
// ffmpeg can, so that stderrLog keeps errors and warnings for messages and skips information. Cause: the "level"
// flag of -loglevel came with ffmpeg 4.x; an ffmpeg that lacks it refuses the whole option. Before 5.0 it is left
// out, to be safe; messages then pick from all lines, which on failure end with the errors anyway.
func (t *Tool) logLevel() string {
	if t.atLeast(5, 0) {
		return "level+info"
	}
	return "info"
}
