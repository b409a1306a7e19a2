package video

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// waitDelay is how long a stopped ffmpeg may keep its pipes open (a child it started still writing, say) before
// Wait gives up on them.
const waitDelay = 2 * time.Second

// command returns bin with args, with no stdin, run in its own process group so that ending ctx kills ffmpeg and
// anything it started (setProcessGroup, per system).
func command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)
	return cmd
}

// inputURL names path for ffmpeg and ffprobe as a file: URL of its absolute path, so that a name starting with "-"
// is never read as an option, and one with a colon ("a:b.mp4", "http:x") never as another protocol. Everything
// after "file:" is the path, spaces and newlines included.
func inputURL(path string) string {
	return "file:" + absolute(path)
}

// checkFile opens path the way ffmpeg will, so that a missing or forbidden file, or a folder, is reported as
// such rather than as whatever ffmpeg makes of it; and refuses an empty file, which ffmpeg calls "invalid data".
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return &Error{Path: path, Kind: ErrUnreadable, Err: err}
	case st.IsDir():
		return &Error{Path: path, Kind: ErrUnreadable, Err: errors.New("it is a folder")}
	case st.Size() == 0 && st.Mode().IsRegular():
		return &Error{Path: path, Kind: ErrCorrupt, Detail: "empty file, 0 bytes"}
	}
	return nil
}

// stderrLog reads a tool's stderr line by line: each line goes to onLine (if set), and the last lines that are
// not progress or information are kept for messages.
type stderrLog struct {
	onLine func(line string)

	mu   sync.Mutex
	tail []string
}

const stderrTail = 8 // lines kept for messages

// read consumes r until EOF. Lines are split at \n and \r (ffmpeg ends progress lines with \r).
func (l *stderrLog) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		for _, part := range strings.Split(line, "\r") {
			part = strings.TrimRight(part, "\n")
			if part == "" {
				continue
			}
			if l.onLine != nil {
				l.onLine(part)
			}
			l.keep(part)
		}
		if err != nil {
			return
		}
	}
}

func (l *stderrLog) keep(line string) {
	if strings.Contains(line, "[info]") || strings.Contains(line, "[verbose]") || strings.Contains(line, "[debug]") {
		return
	}
	if len(line) > 1000 {
		line = line[:1000]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = append(l.tail, line)
	if len(l.tail) > stderrTail {
		l.tail = l.tail[1:]
	}
}

// message is what the tool said, as one line fit for an investigator: the last two distinct messages (often the
// specific one, "moov atom not found", then the general one, "Invalid data found when processing input"), without
// the log prefixes, the input's name or trailing noise.
func (l *stderrLog) message(input string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var msgs []string
	for _, line := range l.tail {
		m := cleanMessage(line, input)
		if m == "" || (len(msgs) > 0 && msgs[len(msgs)-1] == m) {
			continue
		}
		msgs = append(msgs, m)
	}
	if len(msgs) > 2 {
		msgs = msgs[len(msgs)-2:]
	}
	msg := strings.Join(msgs, "; ")
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:199]) + "…"
	}
	return msg
}

// cleanMessage strips "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c8a3c480] ", "[error] " and "file:/the/input: " from an
// ffmpeg log line.
func cleanMessage(line, input string) string {
	for {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "[") {
			break
		}
		end := strings.Index(line, "] ")
		if end < 0 {
			break
		}
		line = line[end+2:]
	}
	for _, prefix := range []string{input + ": ", strings.TrimPrefix(input, "file:") + ": "} {
		line = strings.TrimPrefix(line, prefix)
	}
	for _, noise := range []string{"Conversion failed", "Error while filtering", "Error marking filters as finished",
		"Last message repeated"} {
		if strings.HasPrefix(line, noise) {
			return "" // ffmpeg's sign-off after the real error, or its log's bookkeeping
		}
	}
	line = strings.TrimSpace(line)
	if plain, ok := plainWords[line]; ok {
		return line + ": " + plain
	}
	return line
}

// plainWords explain the commonest of ffmpeg's messages about damaged files.
var plainWords = map[string]string{
	"moov atom not found": "the file's index is missing, as when a recording or a download is cut short",
}

// runError turns a finished command's failure into an error: an *Error of kind ErrTimeout when ctx ran out of
// the time Frames or Probe gave it (its cause says so), the caller's cancellation wrapped as it is, and otherwise
// the tool's own account, kind ErrCorrupt (or ErrNoFFmpeg when it could not even start).
func runError(ctx context.Context, err error, path, tool string, log *stderrLog, input string) error {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		var te *Error
		if errors.As(cause, &te) && te.Kind == ErrTimeout {
			return &Error{Path: path, Kind: ErrTimeout, Timeout: te.Timeout, Err: context.DeadlineExceeded}
		}
		return fmt.Errorf("%s: %w", path, cause)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) { // it could not start
		var xe *exec.Error
		if errors.As(err, &xe) {
			err = xe.Err
		}
		return &Error{Path: tool, Kind: ErrNoFFmpeg, Err: err}
	}
	detail := log.message(input)
	if ee != nil {
		if crash := signalled(ee); crash != "" {
			detail = fmt.Sprintf("%s crashed (%s)", filepath.Base(tool), crash) + prefixed("; it said: ", detail)
		}
	}
	if detail == "" {
		detail = fmt.Sprintf("%s stopped with %v and gave no reason", filepath.Base(tool), err)
	}
	return &Error{Path: path, Kind: ErrCorrupt, Detail: detail, Err: err}
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
