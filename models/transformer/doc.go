// Package transformer holds the GoMLX building blocks every model family's towers are made of, named after
// the Hugging Face modules they mirror: Linear, LayerNorm, the pre-LayerNorm Encoder (CLIPEncoder, which
// SiglipEncoder copies) and the hidden_act activations, with the workarounds for upstream engine bugs kept here
// in one place (activation.go, Linear).
package transformer
