package neardupset

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Transforms is the table of copies made of every source. Single transforms are saved as PNG so that each is
// measured alone; the re-encodes and the combinations (what reposts go through) are JPEG.
var Transforms = []Transform{
	// Lossless: the same pixels in another file (a byte-different, pixel-identical copy). Similarity ~1.
	{"png", "lossless", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return s, PNG }},

	{"jpeg-q90", "reencode", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return s, JPEG(90) }},
	{"jpeg-q70", "reencode", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return s, JPEG(70) }},
	{"jpeg-q40", "reencode", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return s, JPEG(40) }},
	{"jpeg-q20", "reencode", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return s, JPEG(20) }},
	// Three generations of JPEG 70, each after a 90% resize: a photo saved and re-posted several times.
	{"jpeg-3gen", "reencode", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		img := image.Image(s)
		for range 2 {
			img = jpegRoundTrip(scale(img, 0.9), 70)
		}
		return scale(img, 0.9), JPEG(70)
	}},

	{"resize-75", "resize", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return scale(s, 0.75), PNG }},
	{"resize-50", "resize", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return scale(s, 0.5), PNG }},
	{"resize-25", "resize", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return scale(s, 0.25), PNG }},
	{"resize-320px", "resize", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return fitLong(s, 320), PNG }},
	// Squashed to a square (a thumbnail that ignores the aspect ratio).
	{"resize-squash", "resize", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		side := min(s.Bounds().Dx(), s.Bounds().Dy())
		return resize(s, side, side), PNG
	}},

	// Off-centre crops keeping the aspect ratio, removing 5..30% of the area.
	{"crop-5", "crop", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) { return cropArea(s, 0.95, r), PNG }},
	{"crop-10", "crop", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) { return cropArea(s, 0.90, r), PNG }},
	{"crop-20", "crop", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) { return cropArea(s, 0.80, r), PNG }},
	{"crop-30", "crop", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) { return cropArea(s, 0.70, r), PNG }},
	// A square cut from a landscape or portrait photo (an avatar or Instagram-style crop).
	{"crop-square", "crop", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) {
		b := s.Bounds()
		side := min(b.Dx(), b.Dy())
		x, y := r.IntN(b.Dx()-side+1), r.IntN(b.Dy()-side+1)
		return sub(s, image.Rect(x, y, x+side, y+side)), PNG
	}},

	{"rotate-2", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return rotate(s, 2, white), PNG }},
	{"rotate-5", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return rotate(s, -5, white), PNG }},
	// Rotated 3 degrees then cropped to the largest upright rectangle inside, as photo editors straighten.
	{"rotate-3-crop", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return rotateCrop(s, 3), PNG }},
	{"letterbox-16x9", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return padAspect(s, 16, 9, black), PNG }},
	{"pad-square-white", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return padAspect(s, 1, 1, white), PNG }},
	{"screenshot", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return screenshot(s, false), PNG }},
	{"screenshot-dark", "frame", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return screenshot(s, true), PNG }},

	{"bright+15", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, brightness(1.15)), PNG }},
	{"bright-15", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, brightness(0.85)), PNG }},
	{"contrast+30", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, contrast(1.3)), PNG }},
	{"contrast-30", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, contrast(0.7)), PNG }},
	{"saturation+50", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, saturation(1.5)), PNG }},
	{"saturation-50", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, saturation(0.5)), PNG }},
	{"greyscale", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mapRGB(s, saturation(0)), PNG }},
	// A warm colour cast (an Instagram-style filter).
	{"tint-warm", "colour", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		return mapRGB(s, func(r, g, b float64) (float64, float64, float64) { return r*1.1 + 10, g * 1.02, b*0.85 - 5 }), PNG
	}},

	{"mirror", "mirror", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return mirror(s), PNG }},

	// A semi-transparent watermark in a corner, 5% of the image height.
	{"watermark", "overlay", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return watermark(s), PNG }},
	// A TV-channel bug: an opaque coloured box with a name, top left.
	{"logo-corner", "overlay", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return logo(s), PNG }},
	// Meme-style captions: white text with a black outline, 10% of the height, top and bottom.
	{"caption-text", "overlay", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return captions(s), PNG }},

	// What reposts go through.
	{"repost-crop10-640-q70", "combo", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) {
		return fitLong(cropArea(s, 0.9, r), 640), JPEG(70)
	}},
	{"repost-crop20-320-q40", "combo", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) {
		return fitLong(cropArea(s, 0.8, r), 320), JPEG(40)
	}},
	{"repost-screenshot-75-q70", "combo", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		return scale(screenshot(jpegRoundTrip(s, 80), false), 0.75), JPEG(70)
	}},
	{"repost-watermark-bright-50-q60", "combo", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		return scale(watermark(mapRGB(s, brightness(1.1))), 0.5), JPEG(60)
	}},
	{"repost-mirror-crop10-q70", "combo", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) {
		return cropArea(mirror(s), 0.9, r), JPEG(70)
	}},
	{"repost-letterbox-caption-q50", "combo", true, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) {
		return fitLong(captions(padAspect(s, 16, 9, black)), 640), JPEG(50)
	}},
	{"repost-crop30-grey-q40", "combo", true, func(s *image.RGBA, r *rand.Rand) (image.Image, Format) {
		return scale(mapRGB(cropArea(s, 0.7, r), saturation(0)), 0.5), JPEG(40)
	}},

	// Not duplicates: two crops of the same photo along its long side (the stand-in for another photo of the
	// same scene). a45/b45: 45% each with a 10% gap; a60/b60: 60% each, sharing 20% of the long side.
	{"part-a45", "part", false, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return part(s, 0, 0.45), PNG }},
	{"part-b45", "part", false, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return part(s, 0.55, 1), PNG }},
	{"part-a60", "part", false, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return part(s, 0, 0.6), PNG }},
	{"part-b60", "part", false, func(s *image.RGBA, _ *rand.Rand) (image.Image, Format) { return part(s, 0.4, 1), PNG }},
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

// resize scales to w x h with Catmull-Rom (bicubic), as image editors do.
func resize(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

func scale(src image.Image, f float64) *image.RGBA {
	b := src.Bounds()
	return resize(src, int(math.Round(float64(b.Dx())*f)), int(math.Round(float64(b.Dy())*f)))
}

// fitLong scales so that the long side is n pixels (never up).
func fitLong(src image.Image, n int) *image.RGBA {
	b := src.Bounds()
	long := max(b.Dx(), b.Dy())
	if long <= n {
		return clone(src)
	}
	return scale(src, float64(n)/float64(long))
}

func clone(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
	return dst
}

func sub(src *image.RGBA, r image.Rectangle) *image.RGBA {
	return clone(src.SubImage(r.Add(src.Bounds().Min)))
}

// cropArea keeps the fraction keep of the area, same aspect ratio, at a random off-centre position: the offset
// along each axis is drawn from the outer halves of the possible range, so the crop is never centred.
func cropArea(src *image.RGBA, keep float64, r *rand.Rand) *image.RGBA {
	b := src.Bounds()
	s := math.Sqrt(keep)
	w, h := max(1, int(math.Round(float64(b.Dx())*s))), max(1, int(math.Round(float64(b.Dy())*s)))
	off := func(slack int) int {
		u := r.Float64() * 0.5 // 0..0.5 from one end
		if r.IntN(2) == 0 {
			u = 1 - u
		}
		return int(math.Round(u * float64(slack)))
	}
	x, y := off(b.Dx()-w), off(b.Dy()-h)
	return sub(src, image.Rect(x, y, x+w, y+h))
}

// part crops [from, to) of the long side, the whole short side.
func part(src *image.RGBA, from, to float64) *image.RGBA {
	b := src.Bounds()
	if b.Dx() >= b.Dy() {
		x0, x1 := int(from*float64(b.Dx())), max(int(from*float64(b.Dx()))+1, int(to*float64(b.Dx())))
		return sub(src, image.Rect(x0, 0, x1, b.Dy()))
	}
	y0, y1 := int(from*float64(b.Dy())), max(int(from*float64(b.Dy()))+1, int(to*float64(b.Dy())))
	return sub(src, image.Rect(0, y0, b.Dx(), y1))
}

func jpegRoundTrip(src image.Image, q int) *image.RGBA {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: q}); err != nil {
		panic(err) // encoding into memory cannot fail
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return clone(img)
}

// rotate turns the image by deg degrees (counter-clockwise) on a canvas holding all of it, corners filled with
// bg; bilinear sampling.
func rotate(src *image.RGBA, deg float64, bg color.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	nw := int(math.Ceil(math.Abs(w*c) + math.Abs(h*s)))
	nh := int(math.Ceil(math.Abs(w*s) + math.Abs(h*c)))
	return rotateInto(src, th, nw, nh, bg)
}

func rotateInto(src *image.RGBA, th float64, nw, nh int, bg color.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	c, s := math.Cos(th), math.Sin(th)
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	cx, cy := float64(nw)/2, float64(nh)/2
	for y := range nh {
		for x := range nw {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			// inverse rotation into source coordinates
			sx := c*dx - s*dy + w/2 - 0.5
			sy := s*dx + c*dy + h/2 - 0.5
			dst.SetRGBA(x, y, bilinear(src, sx, sy, bg))
		}
	}
	return dst
}

func bilinear(src *image.RGBA, x, y float64, bg color.RGBA) color.RGBA {
	b := src.Bounds()
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(xi, yi int) [3]float64 {
		if xi < 0 || yi < 0 || xi >= b.Dx() || yi >= b.Dy() {
			return [3]float64{float64(bg.R), float64(bg.G), float64(bg.B)}
		}
		p := src.RGBAAt(b.Min.X+xi, b.Min.Y+yi)
		return [3]float64{float64(p.R), float64(p.G), float64(p.B)}
	}
	if x < -1 || y < -1 || x > float64(b.Dx()) || y > float64(b.Dy()) {
		return bg
	}
	p00, p10, p01, p11 := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
	var out [3]uint8
	for i := range 3 {
		v := (p00[i]*(1-fx)+p10[i]*fx)*(1-fy) + (p01[i]*(1-fx)+p11[i]*fx)*fy
		out[i] = clamp8(v)
	}
	return color.RGBA{out[0], out[1], out[2], 255}
}

// rotateCrop rotates by deg and keeps the largest axis-aligned rectangle of the source's aspect ratio that lies
// inside the rotated image.
func rotateCrop(src *image.RGBA, deg float64) *image.RGBA {
	b := src.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	th := math.Abs(deg * math.Pi / 180)
	// A w' x h' rectangle of the same aspect fits when w'cos+h'sin <= w and w'sin+h'cos <= h.
	k := min(w/(w*math.Cos(th)+h*math.Sin(th)), h/(w*math.Sin(th)+h*math.Cos(th)))
	return rotateInto(src, deg*math.Pi/180, max(1, int(w*k)), max(1, int(h*k)), white)
}

// padAspect centres the image on a bg canvas of aspect aw:ah (only ever adding borders).
func padAspect(src *image.RGBA, aw, ah int, bg color.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	nw, nh := w, h
	if w*ah < h*aw {
		nw = (h*aw + ah - 1) / ah
	} else {
		nh = (w*ah + aw - 1) / aw
	}
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect((nw-w)/2, (nh-h)/2, (nw-w)/2+w, (nh-h)/2+h), src, b.Min, draw.Src)
	return dst
}

// screenshot puts the image in a social-media-like frame: a header with an avatar and account name above, a
// caption and a row of buttons below, a margin each side. The photo keeps about 55-70% of the frame's area.
func screenshot(src *image.RGBA, dark bool) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	m := max(1, w/25)
	header, footer := max(3, w/7), max(4, w/4)
	bg, fg, dim := white, color.RGBA{20, 20, 20, 255}, color.RGBA{110, 110, 110, 255}
	if dark {
		bg, fg, dim = color.RGBA{21, 32, 43, 255}, color.RGBA{240, 240, 240, 255}, color.RGBA{139, 152, 165, 255}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w+2*m, h+header+footer))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	// avatar
	av := header * 2 / 3
	draw.Draw(dst, image.Rect(m, (header-av)/2, m+av, (header-av)/2+av), image.NewUniform(color.RGBA{29, 155, 240, 255}), image.Point{}, draw.Src)
	text(dst, "News Account @newsaccount 2h", image.Rect(m+av+m, header/4, w+m, header/4+header/3), fg)
	draw.Draw(dst, image.Rect(m, header, m+w, header+h), src, b.Min, draw.Src)
	y := header + h + footer/12
	text(dst, "Footage shared online shows the scene", image.Rect(m, y, w+m, y+footer/6), fg)
	y += footer / 5
	text(dst, "this morning. #breaking", image.Rect(m, y, w+m, y+footer/6), fg)
	y += footer / 4
	text(dst, "12 Reply   340 Repost   1.2K Like", image.Rect(m, y, w+m, y+footer/7), dim)
	return dst
}

// text draws s in the basic 7x13 font, scaled so that its line is r's height (narrower than r if need be), at
// r's top left.
func text(dst *image.RGBA, s string, r image.Rectangle, c color.RGBA) {
	mask := textMask(s)
	mb := mask.Bounds()
	k := float64(r.Dy()) / float64(mb.Dy())
	if float64(mb.Dx())*k > float64(r.Dx()) {
		k = float64(r.Dx()) / float64(mb.Dx())
	}
	tw, th := int(float64(mb.Dx())*k), int(float64(mb.Dy())*k)
	if tw < 1 || th < 1 {
		return
	}
	big := image.NewAlpha(image.Rect(0, 0, tw, th))
	draw.ApproxBiLinear.Scale(big, big.Bounds(), mask, mb, draw.Src, nil)
	draw.DrawMask(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+tw, r.Min.Y+th), image.NewUniform(c), image.Point{}, big, image.Point{}, draw.Over)
}

func textMask(s string) *image.Alpha {
	face := basicfont.Face7x13
	mask := image.NewAlpha(image.Rect(0, 0, 7*len(s)+2, 15))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(1, 12)}
	d.DrawString(s)
	return mask
}

func watermark(src *image.RGBA) *image.RGBA {
	dst := clone(src)
	b := dst.Bounds()
	th := max(2, b.Dy()/20)
	tw := th * 7 * 12 / 13 // "(c) NEWS 24" is 11-12 glyphs of 7x13
	r := image.Rect(b.Dx()-tw-th, b.Dy()-2*th, b.Dx()-th, b.Dy()-th)
	text(dst, "(c) NEWS 24", r.Add(image.Pt(1, 1)), color.RGBA{0, 0, 0, 90})
	text(dst, "(c) NEWS 24", r, color.RGBA{170, 170, 170, 170}) // premultiplied: ~65% white
	return dst
}

func logo(src *image.RGBA) *image.RGBA {
	dst := clone(src)
	b := dst.Bounds()
	h := max(3, b.Dy()/12)
	w := h * 3
	m := max(1, b.Dy()/30)
	draw.Draw(dst, image.Rect(m, m, m+w, m+h), image.NewUniform(color.RGBA{200, 16, 46, 255}), image.Point{}, draw.Src)
	text(dst, "TV24", image.Rect(m+h/5, m+h/5, m+w-h/5, m+h-h/5), white)
	return dst
}

func captions(src *image.RGBA) *image.RGBA {
	dst := clone(src)
	b := dst.Bounds()
	h := max(3, b.Dy()/10)
	line := func(s string, y int) {
		r := image.Rect(b.Dx()/20, y, b.Dx()-b.Dx()/20, y+h)
		o := max(1, h/12)
		for _, d := range []image.Point{{-o, 0}, {o, 0}, {0, -o}, {0, o}} {
			text(dst, s, r.Add(d), black)
		}
		text(dst, s, r, white)
	}
	line("WHEN YOU SEE IT", b.Dy()/30)
	line("YOU CAN'T UNSEE IT", b.Dy()-h-b.Dy()/30)
	return dst
}

func mirror(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.SetRGBA(b.Dx()-1-x, y, src.RGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

func mapRGB(src *image.RGBA, f func(r, g, b float64) (float64, float64, float64)) *image.RGBA {
	dst := clone(src)
	p := dst.Pix
	for i := 0; i+3 < len(p); i += 4 {
		r, g, b := f(float64(p[i]), float64(p[i+1]), float64(p[i+2]))
		p[i], p[i+1], p[i+2] = clamp8(r), clamp8(g), clamp8(b)
	}
	return dst
}

func brightness(k float64) func(r, g, b float64) (float64, float64, float64) {
	return func(r, g, b float64) (float64, float64, float64) { return r * k, g * k, b * k }
}

func contrast(k float64) func(r, g, b float64) (float64, float64, float64) {
	return func(r, g, b float64) (float64, float64, float64) {
		return (r-128)*k + 128, (g-128)*k + 128, (b-128)*k + 128
	}
}

// saturation mixes each pixel with its luma (Rec. 601): 0 is greyscale, 1 unchanged.
func saturation(k float64) func(r, g, b float64) (float64, float64, float64) {
	return func(r, g, b float64) (float64, float64, float64) {
		l := 0.299*r + 0.587*g + 0.114*b
		return l + (r-l)*k, l + (g-l)*k, l + (b-l)*k
	}
}

func clamp8(v float64) uint8 {
	return uint8(math.Round(max(0, min(255, v))))
}
