package platform

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
	wurl "github.com/nlnwa/whatwg-url/url"
)

// URL parsing is the WHATWG URL Standard's, by github.com/nlnwa/whatwg-url
// (which passes the web-platform-tests): Node 20's URL is the standard's
// too. goja_nodejs's URL is net/url's parser behind the standard's names,
// and differs from Node on everyday input (RATIONALE.md, "The platform").
// platform.js makes the URL and URLSearchParams classes; these are the
// natives they call.

// urlHandle is a parsed URL, held by one URL object.
type urlHandle struct{ u *wurl.Url }

func installURL(vm *goja.Runtime, natives *goja.Object) {
	set := func(name string, v any) { _ = natives.Set(name, v) }
	parse := func(input string, base goja.Value) *wurl.Url {
		var u *wurl.Url
		var err error
		if base == nil || goja.IsUndefined(base) {
			u, err = wurl.Parse(input)
		} else {
			u, err = wurl.ParseRef(base.String(), input)
		}
		if err != nil {
			return nil
		}
		return u
	}
	// urlParse(input, base) is a handle, or null for an invalid URL.
	set("urlParse", func(input string, base goja.Value) goja.Value {
		u := parse(input, base)
		if u == nil {
			return goja.Null()
		}
		return vm.ToValue(&urlHandle{u: u})
	})
	set("urlCanParse", func(input string, base goja.Value) bool { return parse(input, base) != nil })
	set("urlGet", func(h *urlHandle, name string) string {
		u := h.u
		switch name {
		case "href":
			return u.Href(false)
		case "origin":
			return origin(u)
		case "protocol":
			return u.Protocol()
		case "username":
			return u.Username()
		case "password":
			return u.Password()
		case "host":
			return u.Host()
		case "hostname":
			return u.Hostname()
		case "port":
			return u.Port()
		case "pathname":
			return u.Pathname()
		case "search":
			return u.Search()
		case "query": // what the search params parse: the query without "?"
			return u.Query()
		case "hash":
			return u.Hash()
		}
		return ""
	})
	// urlSet(handle, name, value) is a setter of the standard's URL API;
	// setting href to an invalid URL reports false.
	set("urlSet", func(h *urlHandle, name, value string) bool {
		u := h.u
		switch name {
		case "href":
			nu, err := wurl.Parse(value)
			if err != nil {
				return false
			}
			h.u = nu
		case "protocol":
			u.SetProtocol(value)
		case "username":
			u.SetUsername(value)
		case "password":
			u.SetPassword(value)
		case "host":
			u.SetHost(value)
		case "hostname":
			u.SetHostname(value)
		case "port":
			u.SetPort(value)
		case "pathname":
			u.SetPathname(value)
		case "search":
			u.SetSearch(value)
		case "hash":
			u.SetHash(value)
		}
		return true
	})
	// urlSetQuery is the URLSearchParams update steps: the query becomes
	// the serialized list, or none when it is empty.
	set("urlSetQuery", func(h *urlHandle, query string) { h.u.SetSearch(query) })
	set("formDecode", formDecode)
	set("formEncode", func(pairs [][]string) string {
		var b strings.Builder
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte('&')
			}
			formEscape(&b, p[0])
			b.WriteByte('=')
			formEscape(&b, p[1])
		}
		return b.String()
	})
}

// origin is the standard's origin of u, serialized.
func origin(u *wurl.Url) string {
	switch u.Scheme() {
	case "http", "https", "ws", "wss", "ftp":
		s := u.Scheme() + "://" + u.Hostname()
		if p := u.Port(); p != "" {
			s += ":" + p
		}
		return s
	case "blob":
		if inner, err := wurl.Parse(u.Pathname()); err == nil && (inner.Scheme() == "http" || inner.Scheme() == "https") {
			return origin(inner)
		}
	}
	return "null"
}

// formDecode is the application/x-www-form-urlencoded parser: the
// name-value pairs of s.
func formDecode(s string) [][]string {
	out := [][]string{}
	for _, seq := range strings.Split(s, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		out = append(out, []string{formUnescape(name), formUnescape(value)})
	}
	return out
}

// formUnescape replaces '+' by a space and decodes percent escapes as
// bytes, then reads them as UTF-8 (invalid sequences become U+FFFD).
func formUnescape(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var d decoder
	units, _ := d.decode8(b, false) // each maximal invalid subsequence is one U+FFFD
	return string(utf16.Decode(units))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// formEscape is the application/x-www-form-urlencoded byte serializer.
func formEscape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case c == '*' || c == '-' || c == '.' || c == '_' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
