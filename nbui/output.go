package nbui

// Where displays go: the notebook (HTML, with a text version for viewers that show text only) or, outside
// GoNB, standard output as text. Functions that display take an Output, so tests record what they show.

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Output receives blocks of HTML, each with a plain-text version.
type Output interface {
	// Display adds a block below the cell's earlier outputs.
	Display(html, text string)
	// Update creates the block named id, or replaces its content: progress bars, status lines.
	Update(id, html, text string)
}

// Notebook is the cell's output when running in GoNB, else a text Output on standard output.
func Notebook() Output {
	if InNotebook() {
		return gonbOutput{}
	}
	return &TextOutput{W: os.Stdout}
}

// gonbOutput sends display_data (or update_display_data) messages through gonbui.
type gonbOutput struct{}

func (gonbOutput) Display(html, text string) {
	gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{
		protocol.MIMETextHTML: html, protocol.MIMETextPlain: text}})
}

func (gonbOutput) Update(id, html, text string) {
	gonbui.SendData(&protocol.DisplayData{DisplayID: id, Data: map[protocol.MIMEType]any{
		protocol.MIMETextHTML: html, protocol.MIMETextPlain: text}})
}

// TextOutput writes the text versions, one block after another; an update is written only when its text
// changed since the last update of the same block.
type TextOutput struct {
	W    io.Writer
	mu   sync.Mutex
	last map[string]string
}

func (o *TextOutput) Display(_, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintln(o.W, text)
}

func (o *TextOutput) Update(id, _, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		o.last = map[string]string{}
	}
	if o.last[id] == text {
		return
	}
	o.last[id] = text
	fmt.Fprintln(o.W, text)
}

// flush waits until GoNB has received everything displayed so far: a cell program that exits right after
// displaying could otherwise lose its last outputs.
func flush() {
	if InNotebook() {
		gonbui.Sync()
	}
}
