package builtins

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"

	"github.com/dop251/goja"
)

// hashes are the algorithms createHash and createHmac accept.
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New,
	"sha224": sha256.New224, "sha384": sha512.New384,
}

// cryptoHelpers are the Go functions js/crypto.js builds on; bytes cross
// as ArrayBuffers.
func cryptoHelpers(vm *goja.Runtime) *goja.Object {
	o := vm.NewObject()
	bytesOf := func(v goja.Value) []byte {
		if ab, ok := v.Export().(goja.ArrayBuffer); ok {
			return ab.Bytes()
		}
		panic(vm.NewTypeError("expected an ArrayBuffer"))
	}
	_ = o.Set("random", func(n int) goja.Value {
		if n < 0 || n > 1<<31-1 {
			panic(vm.NewTypeError("The value of \"size\" is out of range."))
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return vm.ToValue(vm.NewArrayBuffer(b))
	})
	_ = o.Set("uuid", func() string { return newUUID() })
	_ = o.Set("newHash", func(alg string, key goja.Value) goja.Value {
		alg = strings.ToLower(alg)
		newFn, ok := hashes[alg]
		if !ok {
			return goja.Null() // js/crypto.js throws Node's error
		}
		var h hash.Hash
		if key == nil || goja.IsUndefined(key) {
			h = newFn()
		} else {
			h = hmac.New(newFn, bytesOf(key))
		}
		st := vm.NewObject()
		_ = st.Set("update", func(b goja.Value) { h.Write(bytesOf(b)) })
		_ = st.Set("digest", func() goja.Value { return vm.ToValue(vm.NewArrayBuffer(h.Sum(nil))) })
		return st
	})
	_ = o.Set("hashes", func() []string { return []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"} })
	return o
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexdigits[c>>4], hexdigits[c&15])
	}
	return string(out)
}
