package nbui

// The form's text fields (gonbui/widgets has Button, Select and Slider but no text field). The form (form.go)
// reads all its fields at once when Start is clicked, so that a click right after typing never sees an older
// value.

import (
	"bytes"
	"html/template"
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
