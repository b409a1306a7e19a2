// Package htmlreport writes report.html: one self-contained page that shows what a job (sort, search,
// duplicates) did, to send to a colleague who has no tools installed. Thumbnails are JPEGs inside the page
// (data: URIs); the page loads nothing (a Content-Security-Policy forbids it), needs no JavaScript, and
// prints. The jobs fill a Report, free of their own types, and call WriteFile.
//
// report.go is the data model; write.go renders it (report.html.tmpl, report.css) and writes the file
// atomically; thumbnail.go makes the thumbnails. scripts/test-report-browser.sh checks a written report in
// headless Chromium against the job's CSV.
package htmlreport
