// imageconvert.go is Pillow's Image.convert("RGB") (Pillow 9.4 src/libImaging/Convert.c, Unpack.c) for what
// Go's decoders return, plus libwebp's YUV -> RGB for lossy WebP and Pillow's handling of GIF palettes.
// image.go's header lists the rules and the deliberate differences.
package imagefile

import (
	"bufio"
	"image"
	"image/color"
	"io"
)

// toRGB is Pillow's convert("RGB") for what Go's decoders return. Pixel buffers are read directly:
// color.Color.RGBA() would premultiply by alpha.
func toRGB(src image.Image) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// row returns row y of dst.
	row := func(y int) []uint8 { return dst.Pix[y*dst.Stride : y*dst.Stride+4*w] }

	switch m := src.(type) {
	case *image.RGBA: // opaque RGB (JPEG, BMP, TIFF) or TIFF associated alpha: unpremultiplied
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				d[4*x], d[4*x+1], d[4*x+2] = unpremultiply(s[4*x], s[4*x+1], s[4*x+2], s[4*x+3])
				d[4*x+3] = 255
			}
		}
	case *image.NRGBA: // RGBA, LA, tRNS: alpha dropped, colour kept even where fully transparent
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = s[4*x], s[4*x+1], s[4*x+2], 255
			}
		}
	case *image.RGBA64: // 16 bits per channel, big endian: the high bytes, then as *image.RGBA
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				d[4*x], d[4*x+1], d[4*x+2] = unpremultiply(s[8*x], s[8*x+2], s[8*x+4], s[8*x+6])
				d[4*x+3] = 255
			}
		}
	case *image.NRGBA64:
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = s[8*x], s[8*x+2], s[8*x+4], 255
			}
		}
	case *image.Gray:
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				v := s[x]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.Gray16: // high byte (Pillow 9.4 would clip to 255: see the file comment)
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				v := s[2*x]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.CMYK:
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = cmykToRGB(s[4*x], s[4*x+1], s[4*x+2], s[4*x+3])
			}
		}
	case *image.YCbCr:
		ycbcrToRGB(dst, m)
	case *image.NYCbCrA: // lossy WebP with alpha: alpha dropped
		ycbcrToRGB(dst, &m.YCbCr)
	case *image.Paletted:
		lut := paletteRGB(m.Palette)
		for y := range h {
			d, s := row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				c := lut[s[x]]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
			}
		}
	default: // not returned by the decoders above; slow but correct
		for y := range h {
			d := row(y)
			for x := range w {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c.R, c.G, c.B, 255
			}
		}
	}
	return dst
}

// unpremultiply is Pillow's "RGBa" TIFF unpacker (Unpack.c unpackRGBa, unpackRGBa16B): colour
// stored multiplied by alpha becomes v*255/a (integer division, clipped), black where a = 0.
// Opaque pixels are unchanged.
func unpremultiply(r, g, b, a uint8) (uint8, uint8, uint8) {
	switch a {
	case 255:
		return r, g, b
	case 0:
		return 0, 0, 0
	}
	div := func(v uint8) uint8 { return uint8(min(int(v)*255/int(a), 255)) }
	return div(r), div(g), div(b)
}

// cmykToRGB is Pillow's cmyk2rgb: with nk = 255 - K, R = nk - MULDIV255(C, nk), and so on.
func cmykToRGB(c, m, y, k uint8) (uint8, uint8, uint8, uint8) {
	nk := 255 - uint32(k)
	return uint8(nk - muldiv255(uint32(c), nk)), uint8(nk - muldiv255(uint32(m), nk)), uint8(nk - muldiv255(uint32(y), nk)), 255
}

// muldiv255 is Pillow's MULDIV255: a*b/255 rounded, in integers.
func muldiv255(a, b uint32) uint32 {
	t := a*b + 128
	return (t + (t >> 8)) >> 8
}

// ycbcrToRGB converts with Go's color.YCbCrToRGB (JFIF full-range BT.601), replicating
// subsampled chroma samples as image.YCbCr.At does.
func ycbcrToRGB(dst *image.RGBA, m *image.YCbCr) {
	b := m.Rect
	hshift, vshift := 0, 0 // chroma subsampling as shifts (coordinates are never negative here)
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hshift = 1
	case image.YCbCrSubsampleRatio420:
		hshift, vshift = 1, 1
	case image.YCbCrSubsampleRatio440:
		vshift = 1
	case image.YCbCrSubsampleRatio411:
		hshift = 2
	case image.YCbCrSubsampleRatio410:
		hshift, vshift = 2, 1
	}
	if b.Min.X < 0 || b.Min.Y < 0 { // not produced by the decoders; keep image.YCbCr's own indexing
		for y := range b.Dy() {
			d := dst.Pix[y*dst.Stride:]
			for x := range b.Dx() {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				d[4*x], d[4*x+1], d[4*x+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				d[4*x+3] = 255
			}
		}
		return
	}
	w := b.Dx()
	cx0 := b.Min.X >> hshift
	for y := range b.Dy() {
		sy := b.Min.Y + y
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		crow := (sy>>vshift - b.Min.Y>>vshift) * m.CStride
		cb, cr := m.Cb[crow:], m.Cr[crow:]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x, yv := range yrow {
			ci := (b.Min.X+x)>>hshift - cx0
			r, g, bl := color.YCbCrToRGB(yv, cb[ci], cr[ci])
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = r, g, bl, 255
		}
	}
}

// vp8ToRGB converts lossy WebP (VP8) planes to RGB as libwebp does when Pillow decodes them:
// limited-range BT.601 (libwebp src/dsp/yuv.h, VP8YuvToRgb) with libwebp's default "fancy"
// chroma upsampling (src/dsp/upsampling.c UPSAMPLE_FUNC, row pairing of src/dec/io_dec.c
// EmitFancyRGB). x/image/webp returns the planes as an image.YCbCr, whose own conversion assumes
// full-range JPEG YCbCr and lifts blacks and dims whites (golang/go#40173). VP8 decoding is
// bit-exact by specification, so this reproduces Pillow's pixels.
func vp8ToRGB(m *image.YCbCr) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return dst
	}
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || len(m.Y) < (h-1)*m.YStride+w ||
		len(m.Cb) < ((h+1)/2-1)*m.CStride+(w+1)/2 || len(m.Cr) < len(m.Cb) {
		ycbcrToRGB(dst, m) // not what x/image/webp produces
		return dst
	}
	yRow := func(y int) []uint8 { return m.Y[y*m.YStride : y*m.YStride+w] }
	cRow := func(c []uint8, k int) []uint8 { return c[k*m.CStride : k*m.CStride+(w+1)/2] }
	dRow := func(y int) []uint8 { return dst.Pix[y*dst.Stride : y*dst.Stride+4*w] }

	// Row 0 uses chroma row 0 alone; then rows (2k-1, 2k) sit between chroma rows k-1 and k; the
	// last row of an even height uses the last chroma row alone.
	cb0, cr0 := cRow(m.Cb, 0), cRow(m.Cr, 0)
	fancyUpsampleRows(yRow(0), nil, cb0, cr0, cb0, cr0, dRow(0), nil)
	for k := 1; 2*k-1 < h; k++ {
		topCb, topCr := cRow(m.Cb, k-1), cRow(m.Cr, k-1)
		if 2*k < h {
			fancyUpsampleRows(yRow(2*k-1), yRow(2*k), topCb, topCr, cRow(m.Cb, k), cRow(m.Cr, k), dRow(2*k-1), dRow(2*k))
		} else {
			fancyUpsampleRows(yRow(2*k-1), nil, topCb, topCr, topCb, topCr, dRow(2*k-1), nil)
		}
	}
	return dst
}

// fancyUpsampleRows is libwebp's UPSAMPLE_FUNC for one or two luma rows: chroma is interpolated
// with weights 9/16, 3/16, 3/16, 1/16 from the four nearest chroma samples, the top row nearer
// to (topU, topV) and the bottom row nearer to (curU, curV). libwebp packs U and V into one
// uint32; the lanes never carry into each other, so computing them apart gives the same bytes.
func fancyUpsampleRows(topY, botY, topU, topV, curU, curV, topDst, botDst []uint8) {
	w := len(topY)
	put := func(dst []uint8, x int, y uint8, u, v int) {
		d := dst[4*x : 4*x+4]
		d[0], d[1], d[2] = vp8YUVToRGB(int(y), u, v)
		d[3] = 255
	}
	tlU, tlV := int(topU[0]), int(topV[0]) // top-left chroma sample
	lU, lV := int(curU[0]), int(curV[0])   // left chroma sample
	put(topDst, 0, topY[0], (3*tlU+lU+2)>>2, (3*tlV+lV+2)>>2)
	if botY != nil {
		put(botDst, 0, botY[0], (3*lU+tlU+2)>>2, (3*lV+tlV+2)>>2)
	}
	for x := 1; x <= (w-1)>>1; x++ {
		tU, tV := int(topU[x]), int(topV[x])
		cU, cV := int(curU[x]), int(curV[x])
		avgU, avgV := tlU+tU+lU+cU+8, tlV+tV+lV+cV+8
		d12U, d12V := (avgU+2*(tU+lU))>>3, (avgV+2*(tV+lV))>>3
		d03U, d03V := (avgU+2*(tlU+cU))>>3, (avgV+2*(tlV+cV))>>3
		put(topDst, 2*x-1, topY[2*x-1], (d12U+tlU)>>1, (d12V+tlV)>>1)
		put(topDst, 2*x, topY[2*x], (d03U+tU)>>1, (d03V+tV)>>1)
		if botY != nil {
			put(botDst, 2*x-1, botY[2*x-1], (d03U+lU)>>1, (d03V+lV)>>1)
			put(botDst, 2*x, botY[2*x], (d12U+cU)>>1, (d12V+cV)>>1)
		}
		tlU, tlV, lU, lV = tU, tV, cU, cV
	}
	if w&1 == 0 {
		put(topDst, w-1, topY[w-1], (3*tlU+lU+2)>>2, (3*tlV+lV+2)>>2)
		if botY != nil {
			put(botDst, w-1, botY[w-1], (3*lU+tlU+2)>>2, (3*lV+tlV+2)>>2)
		}
	}
}

// vp8YUVToRGB is libwebp's VP8YuvToRgb: limited-range BT.601 in 14-bit fixed point
// (MultHi(v, c) = v*c >> 8, results in 1/64 units).
func vp8YUVToRGB(y, u, v int) (uint8, uint8, uint8) {
	yy := (y * 19077) >> 8
	return vp8Clip8(yy + (v*26149)>>8 - 14234),
		vp8Clip8(yy - (u*6419)>>8 - (v*13320)>>8 + 8708),
		vp8Clip8(yy + (u*33050)>>8 - 17685)
}

// vp8Clip8 is libwebp's VP8Clip8 with YUV_FIX2 = 6.
func vp8Clip8(v int) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// paletteRGB is a 256-entry lookup table of a palette's colours, with alpha ignored (Pillow's P
// -> RGB). Entries past the palette are black.
func paletteRGB(p color.Palette) *[256][3]uint8 {
	var lut [256][3]uint8
	for i, c := range p {
		if i >= 256 {
			break
		}
		switch c := c.(type) {
		case color.RGBA: // opaque entries
			lut[i] = [3]uint8{c.R, c.G, c.B}
		case color.NRGBA: // PNG tRNS entries keep their colour
			lut[i] = [3]uint8{c.R, c.G, c.B}
		default:
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
	}
	return &lut
}

// gifFrameToRGB places GIF frame 0 on its logical screen as Pillow's GifImageFile does for the
// first frame: the screen is filled with the transparent index if there is one (else index 0),
// and every index, the transparent one included, shows its palette colour. Go's decoder replaces
// the transparent entry by (0,0,0,0), so the palette comes from the file (gifFirstFramePalette).
func gifFrameToRGB(m *image.Paletted, raw []color.Color, transparent, screenW, screenH int) *image.RGBA {
	pal := m.Palette
	if len(raw) > 0 {
		pal = raw
	}
	lut := paletteRGB(pal)
	screen := image.Rect(0, 0, screenW, screenH)
	dst := image.NewRGBA(screen)
	fill := 0
	if transparent >= 0 {
		fill = transparent
	}
	fc := lut[fill]
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = fc[0], fc[1], fc[2], 255
	}
	r := m.Rect.Intersect(screen)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := m.Pix[m.PixOffset(r.Min.X, y):]
		d := dst.Pix[dst.PixOffset(r.Min.X, y):]
		for x := range r.Dx() {
			c := lut[s[x]]
			d[4*x], d[4*x+1], d[4*x+2] = c[0], c[1], c[2]
		}
	}
	return dst
}

// gifFirstFramePalette reads a GIF up to its first image descriptor and returns the colour table
// that frame uses (its local table, else the global one) and its transparent index (-1 if none).
func gifFirstFramePalette(r *bufio.Reader) ([]color.Color, int, error) {
	var hdr [13]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, -1, err
	}
	readTable := func(flags byte) ([]color.Color, error) {
		n := 1 << (flags&7 + 1)
		buf := make([]byte, 3*n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		p := make([]color.Color, n)
		for i := range p {
			p[i] = color.RGBA{buf[3*i], buf[3*i+1], buf[3*i+2], 0xff}
		}
		return p, nil
	}
	var global []color.Color
	if hdr[10]&0x80 != 0 {
		var err error
		if global, err = readTable(hdr[10]); err != nil {
			return nil, -1, err
		}
	}
	transparent := -1
	for {
		introducer, err := r.ReadByte()
		if err != nil {
			return nil, -1, err
		}
		switch introducer {
		case 0x21: // extension
			label, err := r.ReadByte()
			if err != nil {
				return nil, -1, err
			}
			first := true
			for { // data sub-blocks up to a zero-length one
				size, err := r.ReadByte()
				if err != nil {
					return nil, -1, err
				}
				if size == 0 {
					break
				}
				block := make([]byte, size)
				if _, err := io.ReadFull(r, block); err != nil {
					return nil, -1, err
				}
				if label == 0xF9 && first && size >= 4 { // graphic control extension
					transparent = -1
					if block[0]&1 != 0 {
						transparent = int(block[3])
					}
				}
				first = false
			}
		case 0x2C: // image descriptor
			var desc [9]byte
			if _, err := io.ReadFull(r, desc[:]); err != nil {
				return nil, -1, err
			}
			if desc[8]&0x80 != 0 {
				local, err := readTable(desc[8])
				return local, transparent, err
			}
			return global, transparent, nil
		default: // trailer or garbage: gif.Decode reports it
			return nil, -1, nil
		}
	}
}
