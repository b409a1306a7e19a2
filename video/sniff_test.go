package video

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imageformat"
)

func TestSniffHandMade(t *testing.T) {
	ts := func(first, packet int) []byte { // three transport stream packets
		b := make([]byte, first+3*packet)
		for i := 0; i < 3; i++ {
			b[first+i*packet] = 0x47
		}
		return b
	}
	ebml := func(docType string) []byte { // EBML header: version 1, then DocType
		body := append([]byte{0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x80 | byte(len(docType))}, docType...)
		return append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80 | byte(len(body))}, body...)
	}
	for _, tc := range []struct {
		name string
		head []byte
		want string
	}{
		{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"), MP4},
		{"mov", []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  "), MP4},
		{"3gp", []byte("\x00\x00\x00\x14ftyp3gp4\x00\x00\x02\x003gp4"), MP4},
		{"m4a, sound only: Probe says so later", []byte("\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isom"), MP4},
		{"QuickTime, wide then mdat", []byte("\x00\x00\x00\x08wide\x00\x10\x00\x00mdat"), MP4},
		{"QuickTime, moov first", []byte("\x00\x00\x00\x6cmoov\x00\x00\x00\x64mvhd"), MP4},
		{"QuickTime, mdat to the end", []byte("\x00\x00\x00\x00mdat\x00\x00"), MP4},
		{"HEIC picture", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), ""},
		{"AVIF picture", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), ""},
		{"free atom then text", []byte("\x00\x00\x00\x0cfree\x00\x00\x00\x00hello world"), ""},
		{"webm", ebml("webm"), WebM},
		{"mkv", ebml("matroska"), Matroska},
		{"EBML cut before DocType", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86}, Matroska},
		{"avi", []byte("RIFF\x00\x10\x00\x00AVI LIST"), AVI},
		{"wav", []byte("RIFF\x00\x10\x00\x00WAVEfmt "), ""},
		{"webp", []byte("RIFF\x00\x10\x00\x00WEBPVP8X"), ""},
		{"ts", ts(0, 188), MPEGTS},
		{"m2ts", ts(4, 192), MPEGTS},
		{"ts cut short", ts(0, 188)[:300], ""},
		{"one G", []byte("G is for Gopher" + strings.Repeat(" ", 400)), ""},
		{"flv", []byte("FLV\x01\x05\x00\x00\x00\x09"), FLV},
		{"mpeg-ps", []byte{0x00, 0x00, 0x01, 0xBA, 0x44, 0x00}, MPEG},
		{"asf", append(append([]byte{}, asfHeaderGUID...), 0x00, 0x01), ASF},
		{"gif", []byte("GIF89a\x10\x00\x10\x00"), ""},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'}, ""},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), ""},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), ""},
		{"mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x21"), ""},
		{"text", []byte("just some text, not a video"), ""},
		{"empty", nil, ""},
	} {
		if got := Sniff(tc.head); got != tc.want {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSniffMadeByFFmpeg: audio and image files ffmpeg writes are not claimed, except ISO and Matroska audio,
// which Probe turns away. (The video containers are checked in TestFramesContainers.)
func TestSniffMadeByFFmpeg(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, encoder string
		args          []string
		want          string
	}{
		{"sound.mp3", "libmp3lame", []string{"-f", "lavfi", "-i", "sine=d=1"}, ""},
		{"sound.wav", "pcm_s16le", []string{"-f", "lavfi", "-i", "sine=d=1"}, ""},
		{"sound.m4a", "aac", []string{"-f", "lavfi", "-i", "sine=d=1"}, MP4},
		{"sound.ogg", "libvorbis", []string{"-f", "lavfi", "-i", "sine=d=1"}, ""},
		{"still.png", "png", []string{"-f", "lavfi", "-i", "color=red:s=16x16", "-frames:v", "1"}, ""},
		{"still.jpg", "mjpeg", []string{"-f", "lavfi", "-i", "color=red:s=16x16", "-frames:v", "1"}, ""},
		{"anim.gif", "gif", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:r=5:d=1"}, ""},
		{"anim.webp", "libwebp_anim", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:r=5:d=1", "-loop", "0"}, ""},
	} {
		if !hasEncoder(t, tc.encoder) {
			t.Logf("%s: no %s encoder", tc.name, tc.encoder)
			continue
		}
		path := ffmpegMake(t, filepath.Join(dir, tc.name), tc.args...)
		h := head(t, path)
		if got := Sniff(h); got != tc.want {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
		if strings.HasSuffix(tc.name, ".gif") || strings.HasSuffix(tc.name, ".webp") {
			if imageformat.Sniff(h) == "" {
				t.Errorf("%s: not an image for imageformat either", tc.name)
			}
		}
	}
}

// FuzzSniff: no input makes Sniff panic, and what it claims does not depend on bytes past HeadLen.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x18ftypisom"))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x81, 'w'})
	f.Add([]byte("\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, head []byte) {
		if got := Sniff(head); len(head) > HeadLen && got != Sniff(head[:HeadLen]) {
			t.Errorf("Sniff = %q, but %q on the first HeadLen bytes", got, Sniff(head[:HeadLen]))
		}
	})
}
