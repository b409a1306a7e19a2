package nbui

// The form of the original notebook: Source, Destination, Model (a list of well-known checkpoints, or any
// other typed in), Labels, Operation, a threshold, and a Start button. It is one HTML block plus one script
// (form.js): when Start is clicked the script disables the fields and sends all of them at once, as a JSON
// string, to the form's submit address; the cell program answers on the control address, to enable the
// form again after a mistake (with the problem shown below it) or to say it is done. Only strings travel
// through comms: GoNB forwards JavaScript objects to the program as map[string]any, which gonbui cannot
// decode.

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// Form shows Settings for the investigator to change, and waits for Start.
type Form struct {
	Defaults Settings        // the fields' initial values
	Models   []models.Choice // the Model list; Defaults.Model is put first when it is not in it
	id       string
}

// NewForm returns a form holding defaults, with models.Choices as the Model list.
func NewForm(defaults Settings) *Form {
	return &Form{Defaults: defaults, Models: models.Choices, id: "sis_form_" + gonbui.UniqueId()}
}

// Form field names: the keys of the JSON the Start button sends.
const (
	fieldSource      = "source"
	fieldDestination = "destination"
	fieldModel       = "model"
	fieldModelOther  = "model_other"
	fieldLabels      = "labels"
	fieldOperation   = "operation"
	fieldThreshold   = "threshold"
)

type selectOption struct {
	Value, Text string
	Selected    bool
}

type selectField struct {
	ID, Name, Label, Help string
	Options               []selectOption
	Disabled              bool
}

var selectFieldTmpl = template.Must(template.New("select").Parse(
	`<div class="sis-field"><label for="{{.ID}}">{{.Label}}</label>` +
		`<select id="{{.ID}}" name="{{.Name}}"{{if .Disabled}} disabled{{end}}>` +
		`{{range .Options}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Text}}</option>{{end}}` +
		`</select>{{with .Help}}<div class="sis-help">{{.}}</div>{{end}}</div>`))

func (f selectField) html() template.HTML {
	var b bytes.Buffer
	if err := selectFieldTmpl.Execute(&b, f); err != nil {
		panic(err)
	}
	return template.HTML(b.String())
}

var formTmpl = template.Must(template.New("form").Parse(`<div class="sis sis-form" id="{{.ID}}">{{.Style}}
<h3>Smart Image Sorter</h3>
{{with .Note}}<div class="sis-note">{{.}}</div>
{{end}}{{range .Fields}}{{.}}
{{end}}<div class="sis-actions"><button type="button" class="sis-start" id="{{.ID}}-start"{{if .Disabled}} disabled{{end}}>&#9654; Start</button>` +
	`<span class="sis-status" id="{{.ID}}-status">{{.Status}}</span></div>
</div>`))

// HTML is the form. With disabled set, nothing can be changed or clicked (headless runs show the settings
// used this way); note, if not empty, is shown above the fields, status beside the Start button.
func (f *Form) HTML(disabled bool, note, status string) string {
	d := f.Defaults
	id := func(name string) string { return f.id + "-" + name }
	threshold := ""
	if d.Threshold > 0 {
		threshold = strconv.FormatFloat(d.Threshold, 'f', -1, 64)
	}
	fields := []template.HTML{
		textField{ID: id(fieldSource), Name: fieldSource, Label: "Source", Value: d.Source, Disabled: disabled,
			Placeholder: "folder of images, e.g. ~/Pictures/case-42",
			Help:        "The folder with the images to sort; its sub-folders are searched too."}.html(),
		textField{ID: id(fieldDestination), Name: fieldDestination, Label: "Destination", Value: d.Destination, Disabled: disabled,
			Placeholder: "folder for the results",
			Help:        "Where one folder per label is made, with output.csv (every image, its label and score). Created if needed."}.html(),
		selectField{ID: id(fieldModel), Name: fieldModel, Label: "Model", Options: f.modelOptions(), Disabled: disabled,
			Help: "The CLIP or SigLIP model that compares images with labels, downloaded from Hugging Face the first time."}.html(),
		textField{ID: id(fieldModelOther), Name: fieldModelOther, Label: "Other model", Disabled: disabled,
			Placeholder: "optional: any CLIP or SigLIP model id on Hugging Face, or a folder",
			Help:        "If filled in, used instead of the list above (e.g. geolocal/StreetCLIP)."}.html(),
		textField{ID: id(fieldLabels), Name: fieldLabels, Label: "Labels", Value: d.Labels, Disabled: disabled,
			Placeholder: "a picture of a person, a screenshot of a newspaper article, a meme",
			Help:        "Comma-separated. Short English descriptions that cover every image and do not overlap."}.html(),
		selectField{ID: id(fieldOperation), Name: fieldOperation, Label: "Operation", Disabled: disabled, Options: []selectOption{
			{Value: "copy", Text: "copy (the source folder is left as it is)", Selected: d.Operation != "move"},
			{Value: "move", Text: "move (the images leave the source folder)", Selected: d.Operation == "move"},
		}, Help: ""}.html(),
		textField{ID: id(fieldThreshold), Name: fieldThreshold, Label: "Threshold", Value: threshold, Disabled: disabled,
			Placeholder: "none", Short: true,
			Help: "Optional, 0 to 1: images whose best label scores below it go to the folder \"unsorted\" instead. " +
				"CLIP models share 1 among the labels (try 0.5); SigLIP models score each label on its own, lower (try 0.05)."}.html(),
	}
	var b bytes.Buffer
	err := formTmpl.Execute(&b, struct {
		ID           string
		Style        template.HTML
		Note, Status string
		Fields       []template.HTML
		Disabled     bool
	}{f.id, styleTag, note, status, fields, disabled})
	if err != nil {
		panic(err)
	}
	return b.String()
}

func (f *Form) modelOptions() []selectOption {
	var opts []selectOption
	found := false
	for _, c := range f.Models {
		sel := c.ID == f.Defaults.Model
		found = found || sel
		opts = append(opts, selectOption{Value: c.ID, Text: c.ID + " (" + c.Note + ")", Selected: sel})
	}
	if !found && f.Defaults.Model != "" {
		opts = append([]selectOption{{Value: f.Defaults.Model, Text: f.Defaults.Model, Selected: true}}, opts...)
	}
	return opts
}

// Text is the form's settings as plain text, for viewers that show no HTML.
func (f *Form) Text(note string) string {
	d := f.Defaults
	var b strings.Builder
	if note != "" {
		b.WriteString(note + "\n")
	}
	threshold := "none"
	if d.Threshold > 0 {
		threshold = strconv.FormatFloat(d.Threshold, 'f', -1, 64)
	}
	fmt.Fprintf(&b, "Source:      %s\nDestination: %s\nModel:       %s\nLabels:      %s\nOperation:   %s\nThreshold:   %s",
		d.Source, d.Destination, d.Model, d.Labels, d.Operation, threshold)
	return b.String()
}

// SettingsFromJSON reads what the Start button sends: a JSON object of the fields' texts. A field missing
// from it keeps its value in defaults. The result is not checked (see Settings.Check), except the
// threshold, which must parse (ParseThreshold).
func SettingsFromJSON(data string, defaults Settings) (Settings, error) {
	var v map[string]string
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return defaults, fmt.Errorf("the form sent something unexpected (%v): run the cell again", err)
	}
	s := defaults
	set := func(dst *string, name string) {
		if x, ok := v[name]; ok {
			*dst = strings.TrimSpace(x)
		}
	}
	set(&s.Source, fieldSource)
	set(&s.Destination, fieldDestination)
	set(&s.Model, fieldModel)
	set(&s.Labels, fieldLabels)
	set(&s.Operation, fieldOperation)
	if other := strings.TrimSpace(v[fieldModelOther]); other != "" {
		s.Model = other
	}
	if t, ok := v[fieldThreshold]; ok {
		var err error
		if s.Threshold, err = ParseThreshold(t); err != nil {
			return s, err
		}
	}
	return s, nil
}

//go:embed form.js
var formJS string

// script is the JavaScript that makes the displayed form work: it says it is ready on the ready address,
// sends Start to the submit address, and listens on the control address.
func (f *Form) script(ready, submit, control string) string {
	cfg, _ := json.Marshal(struct {
		ID      string `json:"id"`
		Ready   string `json:"ready"`
		Submit  string `json:"submit"`
		Control string `json:"control"`
	}{f.id, ready, submit, control})
	return "(() => {\nconst cfg = " + string(cfg) + ";\n" + formJS + "})();\n"
}

// formPrompt is the status line of a form waiting for Start.
const formPrompt = "Change the settings if needed, then press Start."

// formControl is what the program sends on the control address.
type formControl struct {
	Enabled bool   `json:"enabled"`
	Status  string `json:"status"`
}

// live is a displayed form whose Start button the program listens to.
type live struct {
	f             *Form
	out           Output
	block         string // the form's output block
	ready, submit *comms.AddressChan[string]
	control       string
	script        string // makes the displayed form work
}

// show displays the form and starts listening to its Start button (GoNB with a browser only).
func (f *Form) show(out Output) *live {
	base := "/nbui/form/" + f.id
	l := &live{f: f, out: out, block: "sis_block_" + f.id, control: base + "/control"}
	l.script = f.script(base+"/ready", base+"/submit", l.control)
	// Subscribe before the script runs, so that no click is missed; GoNB installs its websocket in the page
	// (and waits for it) on the first subscription.
	l.ready = comms.Listen[string](base + "/ready").WithBuffer(1)
	l.submit = comms.Listen[string](base + "/submit").WithBuffer(4)
	// Disabled until the program heard the script (waitReady): a click before that would be lost.
	out.Update(l.block, f.HTML(true, "", "Connecting to the page…"), f.Text(""))
	dom.TransientJavascript(l.script)
	return l
}

// finish replaces the live form by a disabled copy showing the settings used and status: what a saved
// notebook shows (scripts' changes to the page are not saved).
func (l *live) finish(used Settings, status string) {
	done := *l.f
	done.Defaults = used
	l.out.Update(l.block, done.HTML(true, "", status), done.Text(status))
}

// readyTimeout bounds the wait for the page to say the form works. Pages that do not run GoNB's widget
// connection (some editors; Google Colab may be one) never say it. readyRetry is how long one try waits.
const (
	readyTimeout = 30 * time.Second
	readyRetry   = 4 * time.Second
)

// waitReady reports whether the page said, within timeout, that the form is connected; then it enables
// the form. Every retry it has GoNB check its connection to the page and runs the form's script again.
//
// This works around GoNB v0.11.5's websocket.js: the page gives the kernel 500 ms (_wait_open_ack) to
// acknowledge the connection it opens, then closes it for good, while the kernel, whose acknowledgement
// came late, believes it connected. A busy machine misses those 500 ms (it happened in CI), and the form
// would look ready while its Start button went nowhere. comms.Start makes GoNB send the page a heartbeat,
// and install a new connection when none answers; the script then binds the form to it.
func (l *live) waitReady(ctx context.Context, timeout, retry time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case <-l.ready.C:
			l.tell(true, formPrompt)
			return true
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(retry):
			comms.Start()
			dom.TransientJavascript(l.script)
		}
	}
}

// wait returns the settings sent by the next click on Start.
func (l *live) wait(ctx context.Context) (Settings, error) {
	select {
	case data, ok := <-l.submit.C:
		if !ok {
			return l.f.Defaults, fmt.Errorf("the form was closed")
		}
		return SettingsFromJSON(data, l.f.Defaults)
	case <-ctx.Done():
		return l.f.Defaults, ctx.Err()
	}
}

// tell enables or disables the form and sets its status line.
func (l *live) tell(enabled bool, status string) {
	msg, _ := json.Marshal(formControl{Enabled: enabled, Status: status})
	comms.Send(l.control, string(msg))
}

func (l *live) close() {
	l.ready.Close()
	l.submit.Close()
}
