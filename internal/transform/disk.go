package transform

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"
)

// diskCache keeps esbuild's output for a source on disk, by content, so
// that a package's files are transpiled once per machine rather than once
// per process: esbuild costs about 1 ms a file, which for a 650-file
// package was most of a cold load. goja's program cannot be serialized, so
// the compile to bytecode still happens in each process.
//
// Entries are written to a temporary file and renamed, so a reader sees a
// whole entry or none; each carries a checksum, and one that does not
// verify is a miss and is written again. The cache holds at most
// diskMaxEntries files: beyond that the least recently written are removed.
type diskCache struct {
	dir    string
	salt   []byte
	writes atomic.Int64
	prune  atomic.Bool
}

const (
	diskMaxEntries = 50_000
	diskMagic      = "HMC1"
	// diskFormat changes whenever what transpile produces changes for the
	// same input, so that no process reads another version's output.
	diskFormat = "transpile-5"
)

func openDiskCache(dir string) (*diskCache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("transform: compile cache: %w", err)
	}
	d := &diskCache{dir: dir, salt: []byte(diskFormat + ";" + esbuildVersion() + ";")}
	// Listing 50,000 entries is no reason to hold up a start.
	d.prune.Store(true)
	go func() {
		defer d.prune.Store(false)
		d.pruneOld()
	}()
	return d, nil
}

// esbuildVersion is the esbuild this binary was built with: its output for
// the same input may differ from one version to the next.
func esbuildVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/evanw/esbuild" {
				return m.Version
			}
		}
	}
	return "unknown"
}

func (d *diskCache) path(key [32]byte) string {
	h := sha256.New()
	h.Write(d.salt)
	h.Write(key[:])
	name := hex.EncodeToString(h.Sum(nil))
	return filepath.Join(d.dir, name[:2], name[2:])
}

func (d *diskCache) get(key [32]byte) (*transpiled, bool) {
	if d == nil {
		return nil, false
	}
	b, err := os.ReadFile(d.path(key))
	if err != nil {
		return nil, false
	}
	t, err := decodeTranspiled(b)
	return t, err == nil
}

func (d *diskCache) put(key [32]byte, t *transpiled) {
	if d == nil {
		return
	}
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(encodeTranspiled(t))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	if d.writes.Add(1)%1000 == 0 && d.prune.CompareAndSwap(false, true) {
		go func() {
			defer d.prune.Store(false)
			d.pruneOld()
		}()
	}
}

// pruneOld removes the oldest entries beyond diskMaxEntries, down to
// 80% of it.
func (d *diskCache) pruneOld() {
	type entry struct {
		path string
		mod  time.Time
	}
	var all []entry
	subs, _ := os.ReadDir(d.dir)
	for _, s := range subs {
		if !s.IsDir() || len(s.Name()) != 2 {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(d.dir, s.Name()))
		for _, f := range files {
			if info, err := f.Info(); err == nil {
				all = append(all, entry{filepath.Join(d.dir, s.Name(), f.Name()), info.ModTime()})
			}
		}
	}
	if len(all) <= diskMaxEntries {
		return
	}
	slices.SortFunc(all, func(a, b entry) int { return a.mod.Compare(b.mod) })
	for _, e := range all[:len(all)-diskMaxEntries*8/10] {
		_ = os.Remove(e.path)
	}
}

func encodeTranspiled(t *transpiled) []byte {
	var b bytes.Buffer
	b.WriteString(diskMagic)
	k := byte(t.kind)
	if t.async {
		k |= asyncBit
	}
	b.WriteByte(k)
	field := func(p []byte) {
		b.Write(binary.AppendUvarint(nil, uint64(len(p))))
		b.Write(p)
	}
	b.Write(binary.AppendUvarint(nil, uint64(len(t.imports))))
	for _, imp := range t.imports {
		field([]byte(imp))
	}
	field([]byte(t.code))
	field(t.smap)
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:8])
	return b.Bytes()
}

// asyncBit marks, in the kind byte, a module with top-level await.
const asyncBit = 0x80

var errBadEntry = errors.New("transform: bad compile cache entry")

func decodeTranspiled(b []byte) (*transpiled, error) {
	if len(b) < len(diskMagic)+1+8 || string(b[:len(diskMagic)]) != diskMagic {
		return nil, errBadEntry
	}
	body, sum := b[:len(b)-8], b[len(b)-8:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:8]) {
		return nil, errBadEntry
	}
	r := body[len(diskMagic):]
	t := &transpiled{kind: Kind(r[0] &^ asyncBit), async: r[0]&asyncBit != 0}
	if t.kind > JSON {
		return nil, errBadEntry
	}
	r = r[1:]
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(r)
		if k <= 0 || n > uint64(len(r)-k) {
			return nil, false
		}
		p := r[k : k+int(n)]
		r = r[k+int(n):]
		return p, true
	}
	n, k := binary.Uvarint(r)
	if k <= 0 || n > uint64(len(r)) {
		return nil, errBadEntry
	}
	r = r[k:]
	for range n {
		p, ok := next()
		if !ok {
			return nil, errBadEntry
		}
		t.imports = append(t.imports, string(p))
	}
	code, ok1 := next()
	smap, ok2 := next()
	if !ok1 || !ok2 || len(r) != 0 {
		return nil, errBadEntry
	}
	t.code = string(code)
	if len(smap) > 0 {
		t.smap = smap
	}
	return t, nil
}
