// Package imagefile opens image files as the Hugging Face pipeline's load_image does with Pillow: format
// from the content, first frame, EXIF orientation applied, converted to 8-bit RGB with Pillow's rules, with
// limits checked before any pixel is decoded and typed errors (*Error) that say what is wrong with a file.
// Every model family preprocesses what Load returns; the notebook's thumbnails use it too.
//
// decode.go is Load and Decode; convert.go Pillow's mode conversions; exif.go the orientation; jpegturbo*.go
// libjpeg-turbo, Pillow's own JPEG decoder, loaded at run time when the system has it.
package imagefile
