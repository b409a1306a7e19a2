//go:build !unix

package video

import "os/exec"

// setProcessGroup leaves exec's default, killing ffmpeg itself: ffmpeg starts no processes of its own.
func setProcessGroup(cmd *exec.Cmd) {}

// signalled is "" where processes are not ended by signals.
func signalled(ee *exec.ExitError) string { return "" }
