package nbui

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func testForm() *Form {
	f := NewForm(Settings{Source: "/data/case-42", Destination: "/data/labelled", Model: models.DefaultModel,
		Labels: "a picture of a person, a meme", Operation: "copy"})
	f.id = "sis_form_T"
	return f
}

func TestFormHTML(t *testing.T) {
	f := testForm()
	golden(t, "form.html", f.HTML(false, "", formPrompt))
	golden(t, "form_headless.html", f.HTML(true, "No browser is attached (headless run): sorting with these settings.", ""))
	golden(t, "form_headless.txt", f.Text("No browser is attached (headless run): sorting with these settings."))
}

func TestFormModelList(t *testing.T) {
	f := testForm()
	html := f.HTML(false, "", "")
	for _, c := range models.Choices {
		if !strings.Contains(html, `<option value="`+c.ID+`"`) {
			t.Errorf("model %s is not in the list", c.ID)
		}
	}
	if strings.Count(html, " selected") != 2 || !strings.Contains(html, `value="`+models.DefaultModel+`" selected`) {
		t.Errorf("want the default model and copy selected:\n%s", html)
	}
	// A model that is not in the list (the fixture, from $SORTER_NOTEBOOK_MODEL) comes first, selected.
	f.Defaults.Model = "/repo/testdata/fixtures/clip-tiny"
	f.Defaults.Operation = "move"
	html = f.HTML(false, "", "")
	first := strings.Index(html, "<option")
	if !strings.HasPrefix(html[first:], `<option value="/repo/testdata/fixtures/clip-tiny" selected>`) {
		t.Errorf("the default model is not first and selected: %s", html[first:first+120])
	}
	if !strings.Contains(html, `<option value="move" selected>`) {
		t.Errorf("move is not selected")
	}
}

func TestFormEscapesValues(t *testing.T) {
	f := testForm()
	f.Defaults.Source = `/x/"><script>alert(1)</script>`
	f.Defaults.Labels = `<b>bold</b>, 'quoted'`
	html := f.HTML(false, `<i>note</i>`, `<u>status</u>`)
	for _, bad := range []string{"<script>alert", "<b>bold", "<i>note", "<u>status"} {
		if strings.Contains(html, bad) {
			t.Errorf("%q is not escaped", bad)
		}
	}
}

func TestFormScript(t *testing.T) {
	f := testForm()
	f.id = `x</script><script>alert(1)//`
	js := f.script("/nbui/form/a/ready", "/nbui/form/a/submit", "/nbui/form/a/control")
	if strings.Contains(js, "</script>") {
		t.Errorf("the script can end its <script> element early:\n%s", js)
	}
	var cfg struct{ ID, Ready, Submit, Control string }
	line := strings.SplitN(js, "\n", 3)[1]
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(line, "const cfg = "), ";")), &cfg); err != nil {
		t.Fatalf("config line %q: %v", line, err)
	}
	if cfg.ID != f.id || cfg.Ready != "/nbui/form/a/ready" || cfg.Submit != "/nbui/form/a/submit" || cfg.Control != "/nbui/form/a/control" {
		t.Errorf("config %+v", cfg)
	}
	if !strings.Contains(js, "JSON.stringify(values)") || !strings.Contains(js, "register_events") {
		t.Errorf("the script does not send the fields as one JSON string, or lets Jupyter take the keys:\n%s", js)
	}
}

func TestSettingsFromJSON(t *testing.T) {
	d := testForm().Defaults
	for _, tc := range []struct {
		name, data string
		want       Settings
		err        string
	}{
		{"all fields", `{"source":" /a ","destination":"/b","model":"openai/clip-vit-base-patch16","model_other":"",` +
			`"labels":"x, y","operation":"move","threshold":"0.4"}`,
			Settings{Source: "/a", Destination: "/b", Model: "openai/clip-vit-base-patch16", Labels: "x, y", Operation: "move", Threshold: 0.4}, ""},
		{"other model wins", `{"model":"openai/clip-vit-base-patch16","model_other":" geolocal/StreetCLIP "}`,
			func() Settings { s := d; s.Model = "geolocal/StreetCLIP"; return s }(), ""},
		{"percent threshold", `{"threshold":"35%"}`, func() Settings { s := d; s.Threshold = 0.35; return s }(), ""},
		{"empty threshold", `{"threshold":""}`, d, ""},
		{"missing fields keep defaults", `{}`, d, ""},
		{"bad threshold", `{"threshold":"high"}`, Settings{}, `threshold "high"`},
		{"threshold of 1", `{"threshold":"1"}`, Settings{}, "between 0 and 1"},
		{"not JSON", `[1,2]`, Settings{}, "run the cell again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SettingsFromJSON(tc.data, d)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := SettingsFromJSON(`{"threshold":"2"}`, d); sorter.Hint(err) == "" {
		t.Errorf("a bad threshold has no hint: %v", err)
	}
}
