package nbui

// The CSS every block carries (each output block must stand alone: a saved notebook shows blocks without the
// cell that made them). Class names start with "sis-" so they touch nothing else on the page.

import "html/template"

const css = `.sis{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;line-height:1.4;color:#1f2328;max-width:980px}
.sis h3{font-size:17px;margin:6px 0 8px}
.sis h4{font-size:15px;margin:14px 0 6px}
.sis small,.sis .sis-help,.sis .sis-muted{color:#656d76;font-size:12px;font-weight:normal}
.sis code{font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px}
.sis-form{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;background:#fbfcfd}
.sis-field{display:grid;grid-template-columns:110px 1fr;column-gap:10px;align-items:center;margin:6px 0}
.sis-field label{font-weight:600}
.sis-field .sis-help{grid-column:2}
.sis-field input,.sis-field select{font:inherit;padding:4px 6px;border:1px solid #afb8c1;border-radius:5px;width:100%;box-sizing:border-box;background:#fff}
.sis-field input.sis-short{width:8em}
.sis-field input:disabled,.sis-field select:disabled{background:#f3f4f6;color:#57606a}
.sis-actions{margin-top:10px;display:flex;gap:12px;align-items:center}
.sis-start{font:inherit;font-weight:600;padding:6px 18px;border:0;border-radius:6px;background:#1f883d;color:#fff;cursor:pointer}
.sis-start:disabled{background:#8c959f;cursor:default}
.sis-note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:6px 10px;margin:6px 0}
.sis-error{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:8px 12px;margin:6px 0}
.sis-error b{color:#a40e26}
.sis-progress progress{width:420px;height:16px;vertical-align:middle}
.sis-progress .sis-count{font-weight:600;margin-right:8px}
.sis-counts{border-collapse:collapse;margin:4px 0 8px}
.sis-counts th,.sis-counts td{text-align:left;padding:3px 14px 3px 0;border-bottom:1px solid #eaeef2}
.sis-counts td.sis-n{text-align:right;font-variant-numeric:tabular-nums}
.sis-facts{margin:4px 0;padding-left:20px}
.sis-thumbs{display:flex;flex-wrap:wrap;gap:10px}
.sis-thumb{margin:0;width:136px;text-align:center}
.sis-thumb .sis-img{height:128px;display:flex;align-items:flex-end;justify-content:center}
.sis-thumb img{max-width:128px;max-height:128px;border-radius:4px;box-shadow:0 0 0 1px #d0d7de;background:#f6f8fa}
.sis-thumb figcaption{font-size:12px;overflow-wrap:anywhere}
.sis-thumb .sis-frame{display:block;color:#555;font-size:90%}
.sis-thumb .sis-score{display:block;font-weight:600;font-variant-numeric:tabular-nums}
.sis-thumb .sis-missing{display:inline-block;width:128px;height:96px;line-height:96px;background:#f6f8fa;color:#656d76;border-radius:4px}
.sis-errors li{margin:2px 0}
`

// styleTag is the <style> element each block starts with.
var styleTag = template.HTML("<style>" + css + "</style>")
