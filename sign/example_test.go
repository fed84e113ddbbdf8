package sign_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
)

// A deployer signs a source for its path; a node that trusts the
// deployer's public key reads it, and refuses a source nobody signed.
func Example() {
	ctx := context.Background()
	key, err := sign.Keygen(nil) // hotmod keygen
	if err != nil {
		log.Fatal(err)
	}
	store := vfs.NewMem() // a fleet's shared store

	src := []byte("export const price = (n) => n * 2")
	sig, err := sign.Sign(key, "/price.js", src) // hotmod put --sign
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Write(ctx, "/price.js", sign.Seal(src, sig)); err != nil {
		log.Fatal(err)
	}

	node := sign.NewStore(store, []sign.PublicKey{key.Public()}) // hotmod serve --trust
	got, err := node.Read(ctx, "/price.js")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", got)

	if err := store.Write(ctx, "/price.js", []byte("export const price = () => 0")); err != nil {
		log.Fatal(err)
	}
	_, err = node.Read(ctx, "/price.js")
	fmt.Println(errors.Is(err, sign.ErrUnsigned), err)
	// Output:
	// export const price = (n) => n * 2
	// true sign: no signature: /price.js
}
