// Package video gives the sorter frames that show what a video holds, read with ffmpeg: Sniff recognises video
// files by their first bytes (never their names), Find finds a working ffmpeg and ffprobe, Probe reads a video's
// headers, and Frames returns up to MaxFrames upright RGB frames, scaled down by ffmpeg, each with its time. Every
// failure is an *Error whose Kind ("no video stream", "corrupt", "timeout", ...) fills the sorter's errors.csv and
// whose Advice is the hint line.
//
// sniff.go recognises containers; tool.go finds ffmpeg; probe.go runs ffprobe; frames.go is Frames, its options
// and the choice between decoding a video in full (full.go) and sampling it by seeking (seek.go); frameat.go gives
// the picture at one time (FrameAt); decode.go runs one ffmpeg and pairs the frames it writes (ppm.go) with their
// times; thin.go keeps MaxFrames frames spread over the video; command.go starts ffmpeg and ffprobe safely
// (procgroup_*.go) and words what they say; errors.go is Error; quirks.go holds workarounds for ffmpeg's
// behaviour.
//
// # How frames are chosen
//
// A video is decoded in full once, ffmpeg's select filter keeping the first frame, each scene change (scene score
// above SceneThreshold, at most one per 250 ms) and a frame whenever Interval has passed since the last one kept.
// Frames are thinned as they arrive (never more than 2 x MaxFrames in memory), dropping those whose neighbours are
// closest, a scene change counting double, never the first or the last; so what remains is spread over the whole
// video, cuts kept in preference. A video too long for that (see FrameOptions.SeekAfter) is sampled at MaxFrames
// evenly spaced points instead, one short ffmpeg run per point, Threads at once, each seeking straight to the
// keyframe at or before its point: the cost is MaxFrames keyframes whatever the length. When the keyframes are
// too sparse for that (fewer than MaxFrames/4 distinct: a long keyframe interval, or a header that claims more
// time than the file holds, whose seeks past the real end all land on the last keyframe) the video is decoded in
// full after all. Timeout bounds everything.
//
// Each run is, in outline (the input is "file:" and the absolute path, so that no name can pass for an option or
// a protocol; the select filter only when decoding in full; -ss and -frames:v only when seeking):
//
//	ffmpeg -nostdin -hide_banner -nostats -loglevel level+info -threads 2 -filter_threads 1 -copyts
//	  [-ss T -noaccurate_seek] -protocol_whitelist file -i file:/abs/path -map 0:N
//	  -vf "select='eq(n,0)+gte(t-prev_selected_t,2)+gt(scene,0.3)*gte(t-prev_selected_t,0.25)',
//	       scale=(shorter side to ShortSide, never up, square pixels),setsar=1,showinfo@RANDOM"
//	  [-frames:v 1] -fps_mode passthrough -f image2pipe -c:v ppm -pix_fmt rgb24 pipe:1
//
// Frames come out as PPM images, each with its own size; their times come from the showinfo lines on stderr
// (pts x time base, exact), matched by frame number; the random name keeps a file name that ffmpeg echoes from
// passing for one of those lines. ffmpeg turns rotated videos upright itself. Threads 2 suits the 2-core
// machines this runs on: two decoder threads when decoding in full, two single-threaded ffmpegs when seeking.
//
// # Measurements and defaults
//
// Intel(R) Xeon(R) Processor, 2 cores, ffmpeg 5.1.9 (Debian 12); 1280x720 30 fps H.264 from ffmpeg's testsrc2
// (x264 veryfast, CRF 30, a keyframe every 250 frames); Frames with the default options unless said; median of
// three runs:
//
//	video                      how                                           time     frames
//	60 s                       default: decoded in full                      1.7 s    31, 0 s to 60 s
//	60 s                       sampled by seeking                            1.7 s     8 (one per keyframe)
//	10 min                     default: sampled by seeking                   1.7 s    32, 0 s to 9 min 43 s
//	10 min                     decoded in full                              14.5 s    32, 0 s to 9 min 58 s
//	10 h (4.7 GB)              default: sampled by seeking                   3.4 s    32, 0 s to 9 h 50 min
//	10 h                       decoded in full                              60 s: timeout
//	3840x2160, 30 s            default: 8 seeks find 1 keyframe, then full   7.7 s    15
//	3840x2160, 30 s            decoded in full                               6.5 s    15
//
// Reproduce with (it makes 5 GB of video in VIDEO_MEASURE_DIR the first time, in about 3 minutes):
//
//	VIDEO_MEASURE=1 VIDEO_MEASURE_DIR=/tmp/video-measure go test -run TestMeasure -v -timeout 60m ./video/
//
// Decoding in full costs about 1.5 s per minute of 720p30 here, growing with the length (testsrc2 decodes easily:
// camera footage at higher bitrates costs perhaps two or three times more); sampling by seeking costs 1.7 s,
// flat, and 3.4 s at 10 hours, where each ffmpeg reads an index of a million frames. The two cost the same near
// one minute of 720p30, hence the defaults:
//
//   - SeekAfter = MaxFrames x Interval = 64 s of 720p30, scaled by pixels per second (a 4K30 video seeks from 7 s,
//     a 360p one decodes in full up to 4 minutes, at most 8 x 64 s). It is also where the floor of one frame per
//     Interval alone fills MaxFrames: a longer video decoded in full would have its frames thinned anyway.
//   - Timeout 60 s: 18 times the slowest default case measured (3.4 s), room for slower machines, disks and codecs
//     (HEVC, 4K camera footage), while a folder of damaged or hostile files costs at most a minute each.
//   - MaxFrames 32: every frame is one image for the model to embed, so 32 frames cost as much as 32 photos; one
//     every 2 seconds of a one-minute clip, or every 19 seconds of a ten-minute one.
//   - Interval 2 s: under a minute, no stretch of 2 seconds goes unseen even without a scene change.
//   - SceneThreshold 0.3: ffmpeg's usual threshold for cuts; a change of brightness of 30% or more of the range.
//   - ShortSide 448: twice CLIP's 224 pixels and above SigLIP's 384, so the model's own resize does the last
//     step; a 16:9 frame is then 796x448, 1.4 MB as RGBA, 90 MB at most held while thinning 64. Callers with a
//     model size should pass it.
//   - MaxPixels 40 megapixels: 8K (7680x4320, and 8192x4320) passes; a header claiming more is refused before
//     ffmpeg allocates frames for it.
//
// # Choices and limits
//
// A video damaged part-way (cut short, say) gives the frames before the damage and no error: they show what the
// video holds, and their times show how far it could be read. A run stopped by Timeout gives an error and no
// frames, as frames from only the start of a long video could mislead. Not done: tone mapping of HDR video
// (phones' HLG and PQ come out pale), deinterlacing (scaling down hides most combing), reading the frames of
// animated WebP with ffmpeg 5.1 (its WebP decoder reads still pictures only: ErrUnsupported). ffmpeg's scene
// score compares brightness only, so a cut between two equally bright shots is caught by the interval, not as a
// scene change.
package video
