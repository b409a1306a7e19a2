// Package siglip runs Google's SigLIP and SigLIP2 zero-shot image classification models from checkpoints in
// Hugging Face's layout (SiglipModel, config.json model_type "siglip"), as transformers'
// zero-shot-image-classification pipeline does: Load a checkpoint folder, embed images and texts, and score
// each label on its own with a sigmoid (scores do not sum to 1, unlike CLIP's softmax). SigLIP2 checkpoints
// of fixed resolution (google/siglip2-base-patch16-224, ...) share the model_type and the weights layout and
// differ in their tokenizer files, their resize filter and their lowercasing; Model.Variant tells them apart.
// NaFlex SigLIP2 checkpoints (model_type "siglip2") are refused.
//
// Files are one concept each, opening with the upstream class they mirror: config.go (SiglipConfig and its
// defaults), preprocessor_config.go and preprocess.go (SiglipImageProcessor: squash-resize with Pillow's filter
// from models/resample, then models/imageproc's rescale and normalise), weights.go (the checkpoint keys and
// shapes), vision.go (patch embedding, encoder, attention-pooling head), text.go (the non-causal text tower pooled
// at the last position), model.go (Load, the embedding calls, the L2 normalisation SiglipModel does outside its
// towers), zeroshot.go (logits and sigmoid scores), tokenizer.go with tokenizer_siglip.go, sentencepiece.go and
// tokenizer_gemma.go (the two tokenizers). What every family shares lives beside it: models/tower runs the compiled
// towers, models/hfconfig and models/imageproc read config.json and preprocessor_config.json, models/transformer
// holds the encoder.
package siglip
