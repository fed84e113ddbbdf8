package platform

import (
	"encoding/base64"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// installText adds the natives behind TextEncoder, TextDecoder, atob and
// btoa (platform.js wraps them in the classes and functions).
func installText(vm *goja.Runtime, natives *goja.Object) {
	u8 := vm.Get("Uint8Array").ToObject(vm)
	bytesOut := func(b []byte) goja.Value {
		v, err := vm.New(u8, vm.ToValue(vm.NewArrayBuffer(b)))
		if err != nil {
			panic(err)
		}
		return v
	}
	set := func(name string, v any) { _ = natives.Set(name, v) }

	// utf8Encode(string) is TextEncoder.encode: lone surrogates become
	// U+FFFD, as goja's conversion to a Go string makes them.
	set("utf8Encode", func(s string) goja.Value { return bytesOut([]byte(s)) })
	// utf8EncodeInto(string, Uint8Array) is TextEncoder.encodeInto: as many
	// whole characters as fit; returns [read (UTF-16 units), written].
	set("utf8EncodeInto", func(s string, dst []byte) []int {
		read, written := 0, 0
		for _, r := range s {
			n := utf8.RuneLen(r)
			if n < 0 {
				r, n = utf8.RuneError, 3
			}
			if written+n > len(dst) {
				break
			}
			utf8.EncodeRune(dst[written:], r)
			written += n
			read += len(utf16.Encode([]rune{r}))
		}
		return []int{read, written}
	})
	// newDecoder(encoding, fatal, ignoreBOM) is the state of one
	// TextDecoder; its decode(bytes, stream) returns the string, or throws
	// (a TypeError) when fatal and the bytes are not valid.
	set("newDecoder", func(encoding string, fatal, ignoreBOM bool) *goja.Object {
		d := &decoder{utf16: encoding == "utf-16le", fatal: fatal, ignoreBOM: ignoreBOM}
		o := vm.NewObject()
		_ = o.Set("decode", func(b []byte, stream bool) goja.Value {
			s, ok := d.decode(b, stream)
			if !ok {
				e := vm.NewTypeError("The encoded data was not valid for encoding " + encoding)
				_ = e.Set("code", "ERR_ENCODING_INVALID_ENCODED_DATA")
				panic(e)
			}
			return s
		})
		return o
	})
	// btoa(string): null when a character is beyond U+00FF.
	set("btoa", func(v goja.Value) goja.Value {
		s, _ := v.ToString().(goja.String)
		if s == nil {
			return vm.ToValue(base64.StdEncoding.EncodeToString([]byte(v.String()))) // all ASCII
		}
		b := make([]byte, s.Length())
		for i := range b {
			c := s.CharAt(i)
			if c > 0xFF {
				return goja.Null()
			}
			b[i] = byte(c)
		}
		return vm.ToValue(base64.StdEncoding.EncodeToString(b))
	})
	// atob(string) decodes as Node 20's atob: 1 for an invalid character,
	// 2 for a length that is not base64's.
	set("atob", func(s string) goja.Value {
		b, fail := atob(s)
		if fail != 0 {
			return vm.ToValue(fail)
		}
		units := make([]uint16, len(b))
		for i, c := range b {
			units[i] = uint16(c)
		}
		return goja.StringFromUTF16(units)
	})
}

// atob is Node 20's atob (lib/buffer.js): the HTML standard's
// forgiving-base64 decode, with Node's choice of message for each
// failure (fail 1: "Invalid character", 2: "not correctly encoded").
func atob(s string) (b []byte, fail int) {
	data := make([]byte, 0, len(s))
	equals, count := 0, 0
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == ' ':
			continue
		case r == '=':
			equals++
			count++
			if equals > 2 {
				return nil, 1
			}
		case 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/':
			if equals > 0 {
				return nil, 1 // '=' only at the end
			}
			count++
			data = append(data, byte(r))
		default:
			return nil, 1
		}
	}
	rem := count % 4
	if rem == 0 {
		rem = (count - equals) % 4
	} else if equals > 0 {
		return nil, 1
	}
	if rem == 1 {
		return nil, 2
	}
	// Bits left over in the last character are discarded, as the
	// non-strict decoder does.
	b, err := base64.RawStdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, 2
	}
	return b, 0
}

// decoder is a TextDecoder's state: the Encoding standard's UTF-8 (or
// UTF-16LE) decoder, kept across calls with {stream: true}.
type decoder struct {
	utf16, fatal, ignoreBOM bool
	bomDone                 bool // the stream's start is past: no BOM to strip

	// UTF-8
	needed, seen int
	lower, upper byte
	cp           rune

	// UTF-16LE
	lead      int // a pending first byte, or -1 (set in decode16)
	surrogate rune
	started   bool
}

// decode decodes b; unless stream, the stream ends with it. It reports
// false on invalid data when fatal (and then resets).
func (d *decoder) decode(b []byte, stream bool) (goja.Value, bool) {
	var out []uint16
	ok := true
	if d.utf16 {
		out, ok = d.decode16(b, stream)
	} else {
		out, ok = d.decode8(b, stream)
	}
	if !ok {
		*d = decoder{utf16: d.utf16, fatal: d.fatal, ignoreBOM: d.ignoreBOM}
		return nil, false
	}
	if !d.bomDone && len(out) > 0 {
		if !d.ignoreBOM && out[0] == 0xFEFF {
			out = out[1:]
		}
		d.bomDone = true
	}
	if !stream {
		*d = decoder{utf16: d.utf16, fatal: d.fatal, ignoreBOM: d.ignoreBOM}
	}
	return goja.StringFromUTF16(out), true
}

func appendRune(out []uint16, r rune) []uint16 {
	if r >= 0x10000 {
		r1, r2 := utf16.EncodeRune(r)
		return append(out, uint16(r1), uint16(r2))
	}
	return append(out, uint16(r))
}

// decode8 is the Encoding standard's UTF-8 decoder: each maximal invalid
// subsequence is one U+FFFD.
func (d *decoder) decode8(b []byte, stream bool) ([]uint16, bool) {
	out := make([]uint16, 0, len(b))
	if d.lower == 0 {
		d.lower, d.upper = 0x80, 0xBF
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if d.needed == 0 {
			switch {
			case c <= 0x7F:
				out = append(out, uint16(c))
			case 0xC2 <= c && c <= 0xDF:
				d.needed, d.cp = 1, rune(c&0x1F)
			case 0xE0 <= c && c <= 0xEF:
				if c == 0xE0 {
					d.lower = 0xA0
				}
				if c == 0xED {
					d.upper = 0x9F
				}
				d.needed, d.cp = 2, rune(c&0xF)
			case 0xF0 <= c && c <= 0xF4:
				if c == 0xF0 {
					d.lower = 0x90
				}
				if c == 0xF4 {
					d.upper = 0x8F
				}
				d.needed, d.cp = 3, rune(c&0x7)
			default:
				if d.fatal {
					return nil, false
				}
				out = append(out, 0xFFFD)
			}
			continue
		}
		if c < d.lower || c > d.upper {
			d.needed, d.seen, d.cp, d.lower, d.upper = 0, 0, 0, 0x80, 0xBF
			if d.fatal {
				return nil, false
			}
			out = append(out, 0xFFFD)
			i-- // the byte starts over
			continue
		}
		d.lower, d.upper = 0x80, 0xBF
		d.cp = d.cp<<6 | rune(c&0x3F)
		d.seen++
		if d.seen == d.needed {
			out = appendRune(out, d.cp)
			d.needed, d.seen, d.cp = 0, 0, 0
		}
	}
	if !stream && d.needed != 0 {
		d.needed, d.seen, d.cp, d.lower, d.upper = 0, 0, 0, 0x80, 0xBF
		if d.fatal {
			return nil, false
		}
		out = append(out, 0xFFFD)
	}
	return out, true
}

// decode16 is the Encoding standard's UTF-16LE decoder.
func (d *decoder) decode16(b []byte, stream bool) ([]uint16, bool) {
	if !d.started {
		d.lead, d.started = -1, true
	}
	out := make([]uint16, 0, len(b)/2+1)
	for _, c := range b {
		if d.lead < 0 {
			d.lead = int(c)
			continue
		}
		unit := rune(c)<<8 | rune(d.lead)
		d.lead = -1
		if d.surrogate != 0 {
			lead := d.surrogate
			d.surrogate = 0
			if 0xDC00 <= unit && unit <= 0xDFFF {
				out = append(out, uint16(lead), uint16(unit))
				continue
			}
			if d.fatal {
				return nil, false
			}
			out = append(out, 0xFFFD)
			// the unit starts over, below
		}
		switch {
		case 0xD800 <= unit && unit <= 0xDBFF:
			d.surrogate = unit
		case 0xDC00 <= unit && unit <= 0xDFFF:
			if d.fatal {
				return nil, false
			}
			out = append(out, 0xFFFD)
		default:
			out = append(out, uint16(unit))
		}
	}
	if !stream && (d.lead >= 0 || d.surrogate != 0) {
		if d.fatal {
			return nil, false
		}
		out = append(out, 0xFFFD)
	}
	return out, true
}
