package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
	"github.com/bellingcat/smart-image-sorter/video"
)

// folderFlags are the flags of every verb that reads a folder of images (sort, search, duplicates): which
// folder, which model, how images are embedded and cached.
type folderFlags struct {
	doing                   string // "sorting": what the verb does with the folder
	source, model, revision *string
	clearCache, verbose     *bool
}

// addFolderFlags registers them on fs, filling f; what says what the folder is for ("to sort"), doing what the
// verb does with it ("sorting").
func addFolderFlags(fs *flag.FlagSet, f *sorter.Folder, what, doing string) *folderFlags {
	ff := &folderFlags{
		doing:    doing,
		source:   fs.String("source", "", "folder of images "+what+" (default: the sample photos shipped with the tool)"),
		model:    fs.String("model", models.DefaultModel, "Hugging Face Hub id or checkpoint folder; tested choices: "+models.ChoiceIDs()),
		revision: fs.String("revision", "", revisionHelp),
	}
	fs.IntVar(&f.BatchSize, "batch_size", 0, batchSizeHelp)
	ff.verbose = fs.Bool("verbose", false, "print a line for every image")
	fs.BoolVar(&f.Recursive, "recursive", f.Recursive, "also read images in sub-folders (hidden folders and the destination are skipped)")
	fs.Int64Var(&f.MaxPixels, "max-pixels", f.MaxPixels, "skip images with more pixels than this (protects memory)")
	defaultCache, _ := sorter.DefaultCachePath()
	fs.StringVar(&f.CachePath, "cache", "", "embedding cache file (default "+defaultCache+")")
	fs.BoolVar(&f.NoCache, "no-cache", false, "neither read nor write the embedding cache")
	ff.clearCache = fs.Bool("clear-cache", false, "delete the embedding cache first")
	fs.IntVar(&f.Workers, "workers", f.Workers, "images decoded in parallel")
	fs.StringVar(&f.Videos.FFmpeg, "ffmpeg", "", "the ffmpeg that reads videos (default: ffmpeg and ffprobe on PATH; without them videos are skipped)")
	fs.IntVar(&f.Videos.MaxFrames, "max-frames", video.DefaultMaxFrames, "frames looked at per video, at most (the first, scene changes, one every "+
		video.DefaultInterval.String()+", spread over the whole video)")
	fs.DurationVar(&f.Videos.Timeout, "video-timeout", video.DefaultTimeout, "time ffmpeg may take on one video before it is stopped and the video listed in errors.csv")
	fs.BoolVar(&f.Videos.AnimatedAsVideo, "animated-as-video", false, "look at every frame of animated GIFs, like a video's (default: the first frame, as the original tool)")
	fs.BoolVar(&f.Videos.Skip, "no-videos", false, "leave videos out (they are listed in skipped.csv)")
	return ff
}

// apply completes f once the flags are parsed: the default source, --clear-cache, --verbose, a progress bar on
// stderr (returned, to be finished after the job).
func (ff *folderFlags) apply(f *sorter.Folder, stderr io.Writer) (*progressBar, error) {
	var err error
	if f.Source = *ff.source; f.Source == "" {
		if f.Source, err = defaultSource(stderr, ff.doing); err != nil {
			return nil, err
		}
	}
	if *ff.clearCache {
		if err := sorter.ClearCache(f.CachePath); err != nil {
			return nil, err // a *sorter.Error, with its hint
		}
		fmt.Fprintln(stderr, "sorter: note: embedding cache cleared")
	}
	if *ff.verbose {
		f.Logf = noteLogger(stderr)
	}
	bar := newProgressBar(stderr)
	f.Progress = bar.update
	return bar, nil
}

// start completes f (apply) and opens the model: what sort, search and duplicates do before their job. The caller
// closes the model and finishes the bar.
func (ff *folderFlags) start(ctx context.Context, f *sorter.Folder, stderr io.Writer) (models.Model, *progressBar, error) {
	bar, err := ff.apply(f, stderr)
	if err != nil {
		return nil, nil, err
	}
	m, err := openModel(ctx, *ff.model, *ff.revision, stderr)
	if err != nil {
		return nil, nil, err
	}
	return m, bar, nil
}

// cachedSoFar is the error of a search or duplicates run that was interrupted.
var cachedSoFar = &userError{msg: "interrupted", hint: "the images embedded so far are cached: the same command goes on from there"}
