package nbui

// Whether a person is at the page. GoNB widgets, gonbui.RequestInput and %with_inputs wait for the browser;
// under nbconvert or nbclient nothing ever answers, so they wait forever. GoNB sets GONB_JUPYTER_KERNEL_ID
// from the name of the kernel's connection file, which only a Jupyter server names kernel-<id>.json:
// nbclient's temporary connection files leave it empty.

import (
	"os"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Headless reports whether no browser can answer: outside GoNB, or in GoNB started by nbconvert or
// nbclient. Forms then use their defaults instead of waiting for a click.
func Headless() bool {
	return !InNotebook() || os.Getenv(protocol.GONB_JUPYTER_KERNEL_ID_ENV) == ""
}

// InNotebook reports whether the program is a cell run by GoNB (so HTML can be displayed).
func InNotebook() bool { return gonbui.IsNotebook }
