package nbui

import (
	"strings"
	"testing"
)

func TestTextInput(t *testing.T) {
	b := TextInput("Labels", "a cat, a dog").Placeholder("comma-separated").Help("Short English descriptions.").
		WithHtmlId("sis_text_T").WithAddress("/nbui/text/T")
	golden(t, "textinput.html", b.HTML()+"\n")
	golden(t, "textinput.js", b.Script())
	if b.Value() != "a cat, a dog" || b.Address() != "/nbui/text/T" || b.HtmlId() != "sis_text_T" {
		t.Errorf("value %q, address %q, id %q", b.Value(), b.Address(), b.HtmlId())
	}
}

func TestTextInputEscapes(t *testing.T) {
	b := TextInput(`<b>label</b>`, `"><img src=x onerror=alert(1)>`).WithHtmlId(`id</script><script>x`)
	if html := b.HTML(); strings.Contains(html, "<img") || strings.Contains(html, "<b>label") {
		t.Errorf("not escaped: %s", html)
	}
	if js := b.Script(); strings.Contains(js, "</script>") {
		t.Errorf("the script can end its element early: %s", js)
	}
}

func TestTextInputHeadless(t *testing.T) {
	if !Headless() {
		t.Skip("running inside GoNB")
	}
	b := TextInput("Labels", "x, y").Done() // must not wait for a browser
	b.SetValue("z, w")
	if b.Value() != "z, w" {
		t.Errorf("value %q", b.Value())
	}
	defer func() {
		if recover() == nil {
			t.Error("changing a built widget did not panic")
		}
	}()
	b.Placeholder("late")
}
