package nbui

// A text-input widget: gonbui/widgets has Button, Select and Slider but no text field. It is built like
// widgets.Select: an <input> element, and a script that keeps a gonb_comm "synced variable" at the widget's
// address equal to the field's text, so the cell program can read it (Value, Listen) or set it (SetValue).
// The form (form.go) draws its text fields with the same HTML but reads them all at once when Start is
// clicked, so that a click right after typing never sees an older value.

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// textField is one labelled text input of a form.
type textField struct {
	ID, Name, Label, Value, Placeholder, Help string
	Short                                     bool // a narrow field (numbers)
	Disabled                                  bool
}

var textFieldTmpl = template.Must(template.New("text").Parse(
	`<div class="sis-field"><label for="{{.ID}}">{{.Label}}</label>` +
		`<input type="text" id="{{.ID}}" name="{{.Name}}" value="{{.Value}}"` +
		`{{with .Placeholder}} placeholder="{{.}}"{{end}}{{if .Short}} class="sis-short"{{end}}` +
		` spellcheck="false" autocomplete="off"{{if .Disabled}} disabled{{end}}>` +
		`{{with .Help}}<div class="sis-help">{{.}}</div>{{end}}</div>`))

func (f textField) html() template.HTML {
	var b bytes.Buffer
	if err := textFieldTmpl.Execute(&b, f); err != nil {
		panic(err) // the template and its data types are fixed: a failure is a bug
	}
	return template.HTML(b.String())
}

//go:embed textinput.js
var textInputJS string

// TextInputBuilder configures a text input; Done displays it. Its methods mirror gonbui/widgets.Select.
type TextInputBuilder struct {
	field        textField
	address      string
	parentHTMLID string
	built        bool

	mu      sync.Mutex
	value   string
	updates *comms.AddressChan[string]
}

// TextInput returns a builder for a text input labelled label, holding value at first.
func TextInput(label, value string) *TextInputBuilder {
	id := gonbui.UniqueId()
	return &TextInputBuilder{
		field:   textField{ID: "sis_text_" + id, Name: "value", Label: label, Value: value},
		address: "/nbui/text/" + id,
		value:   value,
	}
}

func (b *TextInputBuilder) mustNotBeBuilt() {
	if b.built {
		panic("nbui.TextInput: cannot change a widget after Done")
	}
}

// Placeholder sets the grey text shown while the field is empty.
func (b *TextInputBuilder) Placeholder(text string) *TextInputBuilder {
	b.mustNotBeBuilt()
	b.field.Placeholder = text
	return b
}

// Help sets the line of help shown under the field.
func (b *TextInputBuilder) Help(text string) *TextInputBuilder {
	b.mustNotBeBuilt()
	b.field.Help = text
	return b
}

// WithHtmlId sets the id of the <input> element (default: a unique id).
func (b *TextInputBuilder) WithHtmlId(id string) *TextInputBuilder {
	b.mustNotBeBuilt()
	b.field.ID = id
	return b
}

// WithAddress sets the comms address the value is synchronised on (default: a unique address).
func (b *TextInputBuilder) WithAddress(address string) *TextInputBuilder {
	b.mustNotBeBuilt()
	b.address = address
	return b
}

// AppendTo puts the widget at the end of the DOM element with that id instead of in a new output block.
func (b *TextInputBuilder) AppendTo(parentHTMLID string) *TextInputBuilder {
	b.mustNotBeBuilt()
	b.parentHTMLID = parentHTMLID
	return b
}

// HTML is the widget's element (a label, the input and its help line), escaped for any value.
func (b *TextInputBuilder) HTML() string {
	return `<div class="sis">` + string(styleTag) + string(b.field.html()) + `</div>`
}

// Script is the JavaScript that binds the element to the widget's address.
func (b *TextInputBuilder) Script() string {
	cfg, _ := json.Marshal(struct {
		ID      string `json:"id"`
		Address string `json:"address"`
	}{b.field.ID, b.address}) // json.Marshal escapes <, > and &: safe inside <script>
	return "(() => {\nconst cfg = " + string(cfg) + ";\n" + textInputJS + "})();\n"
}

// firstValueTimeout bounds the wait for the page's first report of the field, so a page that never runs
// the script (no browser, scripts blocked) cannot hang the cell.
const firstValueTimeout = 20 * time.Second

// Done displays the widget and starts following its value. Headless (see Headless), it only displays the
// field, disabled, and Value stays the initial value.
func (b *TextInputBuilder) Done() *TextInputBuilder {
	b.mustNotBeBuilt()
	b.built = true
	if Headless() {
		b.field.Disabled = true
		if InNotebook() {
			gonbui.DisplayHTML(b.HTML())
		}
		return b
	}
	b.updates = comms.Listen[string](b.address)
	first := make(chan struct{})
	go func() {
		var once sync.Once
		for v := range b.updates.C {
			b.mu.Lock()
			b.value = v
			b.mu.Unlock()
			once.Do(func() { close(first) })
		}
	}()
	if b.parentHTMLID == "" {
		gonbui.DisplayHTML(b.HTML())
	} else {
		dom.Append(b.parentHTMLID, b.HTML())
	}
	dom.TransientJavascript(b.Script())
	select {
	case <-first:
	case <-time.After(firstValueTimeout):
	}
	return b
}

// Value is the field's text as last reported by the page.
func (b *TextInputBuilder) Value() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.value
}

// SetValue changes the field's text on the page.
func (b *TextInputBuilder) SetValue(value string) {
	b.mu.Lock()
	b.value = value
	b.mu.Unlock()
	if b.built && !Headless() {
		comms.Send(b.address, value)
	}
}

// Listen returns a channel that receives the text each time it changes on the page. Close it when done.
func (b *TextInputBuilder) Listen() *comms.AddressChan[string] {
	if !b.built {
		panic("nbui.TextInput: Listen needs Done first")
	}
	return comms.Listen[string](b.address)
}

// Address is the comms address the value is synchronised on.
func (b *TextInputBuilder) Address() string { return b.address }

// HtmlId is the id of the <input> element.
func (b *TextInputBuilder) HtmlId() string { return b.field.ID }
