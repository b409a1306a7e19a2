// Package nbui is everything notebooks/smart-image-sorter.ipynb does, so that its cells only set parameters
// and call functions. It follows the original tool's Colab notebook (bellingcat/smart-image-sorter,
// interface.ipynb): a form with Source, Destination, Model, Labels and Operation and a Start button, then
// the sort; and adds a live progress bar, a summary, a gallery of thumbnails per label, re-sorting with new
// labels from the embedding cache, and searching the sorted folder and finding its duplicates (also from the cache).
//
// It runs inside GoNB (github.com/janpfeifer/gonb), the Go kernel for Jupyter, and talks to the page with
// gonbui (HTML outputs, and comms for the form). Headless runs (nbconvert, nbclient: no browser, see
// Headless) never wait for a click: the form shows its defaults and the sort starts at once. Outside GoNB
// (tests, plain programs) everything is written as text to standard output.
//
// Files, one concept each: settings.go (what a sort needs, defaults, checks), headless.go, output.go (where
// displays go), textinput.go (the form's text fields, which gonbui/widgets lacks), form.go (the form and its
// Start button), progress.go, summary.go, gallery.go (thumbnails per label, errors), run.go (Sort, the
// form's loop, Resort and the last-run record), search.go (the search cell, and the last sort's folder and model
// that it and the duplicates cell read), duplicates.go (the duplicates cell), style.go (the CSS all blocks share).
package nbui
