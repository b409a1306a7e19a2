package hub

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kinds of failure, for errors.Is. Every error Resolve returns about the model is an *Error
// whose Kind is one of these.
var (
	// ErrNotFound: no such local folder, no such model or revision on the Hub.
	ErrNotFound = errors.New("model not found")
	// ErrUnauthorized: the model is gated or private and no token, or a rejected token, was sent.
	ErrUnauthorized = errors.New("not authorized")
	// ErrNoNetwork: the Hub could not be reached (no network, DNS, proxy, TLS, timeout).
	ErrNoNetwork = errors.New("hub unreachable")
	// ErrOffline: offline mode is on and the model is not (completely) in the cache.
	ErrOffline = errors.New("not in cache while offline")
	// ErrMissingFiles: a folder or a Hub repo lacks files a checkpoint needs (config, image
	// preprocessing, a tokenizer of one of the families read, weights).
	ErrMissingFiles = errors.New("checkpoint files missing")
	// ErrNoWeights: the checkpoint has weights only in formats this tool does not read
	// (TensorFlow, Flax, ONNX, open_clip's own).
	ErrNoWeights = errors.New("no readable weights")
	// ErrInterrupted: a download was cut off, stalled or arrived corrupted; running again resumes it.
	ErrInterrupted = errors.New("download interrupted")
	// ErrHub: the Hub answered with an error not covered above (rate limit, server error).
	ErrHub = errors.New("hub error")
)

// Error is what Resolve returns when something is wrong with the model, the network or the
// cache. Error() is one line: what happened, then a hint of what to do.
type Error struct {
	Kind    error    // one of the Err* values above
	Model   string   // the model as given (Hub id or folder)
	Dir     string   // the folder or cache directory involved, if any
	File    string   // the file involved, if any
	Missing []string // files missing, for ErrMissingFiles and ErrOffline (MissingTokenizer: no tokenizer at all)
	What    string   // what happened
	Hint    string   // what to do about it
	Err     error    // underlying cause, if any
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.What
	}
	return e.What + "; " + e.Hint
}

// Advice returns e.Hint. The field cannot be a method of the same name, so a front end that shows what happened
// and what to do on separate lines (sorter.Hint finds any error's Advice) reads it through this method.
func (e *Error) Advice() string { return e.Hint }

// Unwrap lets errors.Is match both the Kind and the cause (e.g. context.Canceled).
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

const exampleID = "openai/clip-vit-base-patch32"

// hostOf names the endpoint's host for messages: "huggingface.co".
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}

// networkError is the error for a request that got no HTTP answer.
func networkError(model, endpoint string, err error) *Error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // drop `Get "https://...":`, the host is in the message already
	}
	return &Error{
		Kind:  ErrNoNetwork,
		Model: model,
		What:  fmt.Sprintf("could not reach %s: %v", hostOf(endpoint), cause),
		Hint:  "connect to the internet, or set HF_HUB_OFFLINE=1 to use models already downloaded",
		Err:   err,
	}
}

// joinList writes "a, b and c".
func joinList(items []string) string { return joinWords(items, "and") }

// joinWords writes "a, b <conj> c".
func joinWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
