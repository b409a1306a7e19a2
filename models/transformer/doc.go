// Package transformer holds the GoMLX building blocks every model family's towers are made of, named after
// the Hugging Face modules they mirror: Linear, LayerNorm, the pre-LayerNorm Encoder (CLIPEncoder, which
// SiglipEncoder copies), the patch embedding of the vision towers (patch.go), the hidden_act activations, and the
// config keys that size an encoder (TowerConfig, config.go), with the workarounds for upstream engine bugs kept
// here in one place (activation.go, Linear).
package transformer
