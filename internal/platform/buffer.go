package platform

import (
	"encoding/base64"
	"strings"

	"github.com/dop251/goja"
)

// installBuffer adds the natives behind the encodings goja_nodejs's Buffer
// lacks (latin1, ascii, utf16le, base64url); platform.js routes
// Buffer.from and toString to them.
func installBuffer(vm *goja.Runtime, natives *goja.Object) {
	set := func(name string, v any) { _ = natives.Set(name, v) }
	// bufferFromString(string, encoding) is an ArrayBuffer of its bytes.
	set("bufferFromString", func(v goja.Value, enc string) goja.Value {
		s, _ := v.ToString().(goja.String)
		n := 0
		if s != nil {
			n = s.Length()
		}
		var b []byte
		switch enc {
		case "latin1", "ascii":
			b = make([]byte, n)
			for i := range b {
				b[i] = byte(s.CharAt(i))
			}
		case "utf16le":
			b = make([]byte, 2*n)
			for i := 0; i < n; i++ {
				c := s.CharAt(i)
				b[2*i], b[2*i+1] = byte(c), byte(c>>8)
			}
		case "base64url":
			// Node decodes either alphabet, padded or not, and stops
			// at the first character of neither.
			str := v.String()
			str = strings.Map(func(r rune) rune {
				switch r {
				case '-':
					return '+'
				case '_':
					return '/'
				case '=', ' ', '\t', '\n', '\r', '\f':
					return -1
				}
				return r
			}, str)
			if i := strings.IndexFunc(str, func(r rune) bool {
				return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/')
			}); i >= 0 {
				str = str[:i]
			}
			if len(str)%4 == 1 {
				str = str[:len(str)-1]
			}
			b, _ = base64.RawStdEncoding.DecodeString(str)
		}
		return vm.ToValue(vm.NewArrayBuffer(b))
	})
	// bufferToString(bytes, encoding) decodes bytes.
	set("bufferToString", func(b []byte, enc string) goja.Value {
		switch enc {
		case "latin1", "ascii":
			units := make([]uint16, len(b))
			for i, c := range b {
				if enc == "ascii" {
					c &= 0x7F
				}
				units[i] = uint16(c)
			}
			return goja.StringFromUTF16(units)
		case "utf16le":
			units := make([]uint16, len(b)/2)
			for i := range units {
				units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			return goja.StringFromUTF16(units)
		case "base64url":
			return vm.ToValue(base64.RawURLEncoding.EncodeToString(b))
		}
		return vm.ToValue("")
	})
}
