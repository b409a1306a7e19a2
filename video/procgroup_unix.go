//go:build unix

package video

import (
	"fmt"
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd in a process group of its own and makes cancelling it kill the whole group, so a
// wrapper script's children (or any process ffmpeg started) die with it instead of holding its pipes open.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// signalled describes how a process that was killed by a signal died ("signal 11, segmentation fault"), or "".
func signalled(ee *exec.ExitError) string {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return ""
	}
	return fmt.Sprintf("signal %d, %v", int(ws.Signal()), ws.Signal())
}
