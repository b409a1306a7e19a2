// Package sorter is the sort job of the Smart Image Sorter: it finds the images
// in a folder, embeds them with a zero-shot model (through the Model interface;
// models/clip implements it), scores them against the investigator's labels,
// and copies, moves or links each one into a folder per label, writing a CSV
// report. It is a rewrite of Bellingcat's classifier.py that keeps its flags and
// its report's first columns (image_name,label,score) and adds:
//
//   - images found by content (magic bytes), recursively; everything else is
//     listed with a reason in skipped.csv, per-image failures in errors.csv;
//   - labels turned into safe folder names (FolderName), and nothing ever
//     written outside the destination;
//   - no file lost or overwritten: suffixed names on collisions, atomic
//     placement, a journal so that a run killed at any moment is finished by
//     Options.Resume without duplicates (journal.go);
//   - reports written batch by batch, so an interrupted run keeps its rows;
//   - label prompts encoded once per run, images decoded in parallel and
//     embedded in batches, in bounded memory;
//   - an embedding cache (cache.go; DefaultCachePath, ClearCache), so sorting
//     the same folder again with other labels calls no image model at all.
//
// Files are one concept each: model.go (the interface), options.go, labels.go,
// sniff.go, discover.go, destination.go, pipeline.go, cache.go, batch.go,
// place.go, report.go, score.go, journal.go, resume.go, run.go, summary.go.
package sorter
