//go:build ignore

// scripts prints the names of Go's unicode.Scripts, for gen/unicode.mjs.
package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
)

func main() {
	fmt.Println(strings.Join(slices.Sorted(maps.Keys(unicode.Scripts)), " "))
}
