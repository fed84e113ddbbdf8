package platform

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// installCrypto adds the natives behind the web's crypto global: random
// bytes and UUIDs from crypto/rand, digests from the standard library.
func installCrypto(vm *goja.Runtime, natives *goja.Object) {
	set := func(name string, v any) { _ = natives.Set(name, v) }
	// randomFill(bytes) fills a view's bytes (getRandomValues).
	set("randomFill", func(b []byte) {
		if _, err := rand.Read(b); err != nil {
			panic(vm.NewGoError(err))
		}
	})
	set("randomUUID", func() string {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			panic(vm.NewGoError(err))
		}
		u[6] = u[6]&0x0F | 0x40 // version 4
		u[8] = u[8]&0x3F | 0x80 // the RFC 4122 variant
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	})
	// digest(name, bytes) is an ArrayBuffer, or null for an algorithm
	// it does not know (platform.js rejects with NotSupportedError).
	set("digest", func(name string, b []byte) goja.Value {
		var sum []byte
		switch strings.ToUpper(name) {
		case "SHA-1":
			s := sha1.Sum(b)
			sum = s[:]
		case "SHA-256":
			s := sha256.Sum256(b)
			sum = s[:]
		case "SHA-384":
			s := sha512.Sum384(b)
			sum = s[:]
		case "SHA-512":
			s := sha512.Sum512(b)
			sum = s[:]
		default:
			return goja.Null()
		}
		return vm.ToValue(vm.NewArrayBuffer(sum))
	})
}
