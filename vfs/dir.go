package vfs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Dir is a Store over a real folder. Reads and writes go through an os.Root,
// so symbolic links are followed only while they stay inside the folder.
// Writes are atomic (temporary file, fsync, rename). Watching uses fsnotify,
// recursively, and coalesces each path's burst of file system events into one
// Event once the path has been quiet for the coalescing window; editors'
// temporary files (*.swp, *.swx, *~, .#*, 4913, *.tmp) are ignored by List
// and Watch.
type Dir struct {
	root    *os.Root
	abs     string
	window  time.Duration
	hub     *hub
	mu      sync.Mutex
	watcher *dirWatcher
	closed  bool
}

var _ Store = (*Dir)(nil)

// NewDir opens the folder root, which must exist. WithCoalesceWindow applies.
func NewDir(root string, opts ...Option) (*Dir, error) {
	o := buildOptions(opts)
	abs, err := filepath.Abs(root)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("vfs: open folder %s: %w", root, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("vfs: open folder %s: %w", root, err)
	}
	return &Dir{root: r, abs: abs, window: o.window, hub: newHub()}, nil
}

// Path is the folder's absolute path.
func (d *Dir) Path() string { return d.abs }

// isEditorTemp reports whether a file name is one of the temporary files
// editors write next to the file being saved.
func isEditorTemp(name string) bool {
	return name == "4913" || strings.HasPrefix(name, ".#") || strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") || strings.HasSuffix(name, ".tmp")
}

// rel turns a valid store path into a name relative to the root.
func rel(p string) string {
	if p == "/" {
		return "."
	}
	return p[1:]
}

// pathErr maps operating system errors onto the package's sentinels.
func (d *Dir) pathErr(op, p string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, os.ErrClosed):
		err = ErrClosed
	case strings.Contains(err.Error(), "path escapes from parent"):
		// os.Root does not export this error; its text is all there is.
		err = ErrOutsideRoot
	case errors.Is(err, fs.ErrNotExist):
		err = ErrNotFound
	case errors.As(err, &errno) && (errno == syscall.EISDIR || errno == syscall.ENOTDIR ||
		errno == syscall.EEXIST || errno == syscall.ENOTEMPTY):
		err = fmt.Errorf("%w (%v)", ErrConflict, errno)
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

func (d *Dir) check(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidatePath(p)
}

func (d *Dir) Read(ctx context.Context, p string) ([]byte, error) {
	if err := d.check(ctx, p); err != nil {
		return nil, err
	}
	data, err := d.root.ReadFile(rel(p))
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && errno == syscall.EISDIR {
			err = fs.ErrNotExist // a directory is not a file
		}
		return nil, d.pathErr("read", p, err)
	}
	return data, nil
}

var _ RealPather = (*Dir)(nil)

// maxLinks bounds the links RealPath follows, as the kernel's ELOOP does.
const maxLinks = 40

// RealPath follows the symbolic links in p, component by component, as
// long as they stay inside the folder: a relative link is resolved from
// the folder that holds it, an absolute one must lead into the folder's own
// path. Anything else is ErrOutsideRoot, naming p.
func (d *Dir) RealPath(ctx context.Context, p string) (string, error) {
	if err := d.check(ctx, p); err != nil {
		return "", err
	}
	rest := strings.Split(rel(p), "/")
	if p == "/" {
		rest = nil
	}
	done := "/"
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		next := path.Join(done, name)
		info, err := d.root.Lstat(rel(next))
		if err != nil {
			return "", d.pathErr("realpath", p, err)
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "realpath", Path: p, Err: fmt.Errorf("%w: more than %d symbolic links", ErrConflict, maxLinks)}
		}
		target, err := d.root.Readlink(rel(next))
		if err != nil {
			return "", d.pathErr("realpath", p, err)
		}
		target = filepath.ToSlash(target)
		var joined string
		if filepath.IsAbs(filepath.FromSlash(target)) {
			r, err := filepath.Rel(d.abs, filepath.FromSlash(target))
			if err != nil || r == ".." || strings.HasPrefix(filepath.ToSlash(r), "../") {
				return "", &fs.PathError{Op: "realpath", Path: p, Err: fmt.Errorf("%w: %s links to %s", ErrOutsideRoot, next, target)}
			}
			joined = "/" + filepath.ToSlash(r)
		} else {
			// path.Join cleans ".." away at the root: check before.
			depth := strings.Count(strings.Trim(done, "/"), "/") + 1
			if done == "/" {
				depth = 0
			}
			for _, part := range strings.Split(target, "/") {
				switch part {
				case "..":
					depth--
				case "", ".":
				default:
					depth++
				}
				if depth < 0 {
					return "", &fs.PathError{Op: "realpath", Path: p, Err: fmt.Errorf("%w: %s links to %s", ErrOutsideRoot, next, target)}
				}
			}
			joined = path.Join(done, target)
		}
		// The target's own components may be links: walk them again.
		done = "/"
		rest = append(strings.Split(strings.TrimPrefix(path.Clean(joined), "/"), "/"), rest...)
		if joined == "/" || path.Clean(joined) == "/" {
			rest = rest[1:]
		}
	}
	return done, nil
}

func (d *Dir) Write(ctx context.Context, p string, data []byte) error {
	if err := d.check(ctx, p); err != nil {
		return err
	}
	// A concurrent Delete may prune the parent folder between MkdirAll and
	// creating the temporary file; try again then.
	var err error
	for range 3 {
		if err = d.write(p, data); !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return d.pathErr("write", p, err)
	}
	return nil
}

func (d *Dir) write(p string, data []byte) error {
	dir, name := path.Split(rel(p))
	dir = strings.TrimSuffix(dir, "/")
	if dir != "" {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if info, err := d.root.Lstat(rel(p)); err == nil && info.IsDir() {
		return syscall.EISDIR
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, "."+name+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Rename(tmp, rel(p))
	}
	if err != nil {
		_ = d.root.Remove(tmp)
		return err
	}
	// Make the rename itself durable.
	if df, err := d.root.Open(cmp.Or(dir, ".")); err == nil {
		_ = df.Sync()
		df.Close()
	}
	return nil
}

func (d *Dir) Delete(ctx context.Context, p string) error {
	if err := d.check(ctx, p); err != nil {
		return err
	}
	info, err := d.root.Lstat(rel(p))
	if err == nil && info.IsDir() {
		err = fs.ErrNotExist
	}
	if err == nil {
		err = d.root.Remove(rel(p))
	}
	if err != nil {
		return d.pathErr("delete", p, err)
	}
	// Prune the folders the file leaves empty, as the other stores have no
	// folders at all: a later Write of a file at a pruned folder's path works.
	for dir := path.Dir(rel(p)); dir != "."; dir = path.Dir(dir) {
		if d.root.Remove(dir) != nil {
			break
		}
	}
	return nil
}

func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	out, err := d.walk(ctx, pre)
	if err != nil {
		return nil, d.pathErr("list", pre, err)
	}
	return out, nil
}

// walk lists the files below dir (a canonical prefix): regular files and
// symbolic links to regular files inside the root; editors' temporary files
// and links to folders are left out.
func (d *Dir) walk(ctx context.Context, dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(d.root.FS(), rel(dir), func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if name == rel(dir) && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() || isEditorTemp(e.Name()) || name == rel(dir) {
			return ctx.Err()
		}
		if !e.Type().IsRegular() {
			info, err := d.root.Stat(name)
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
		}
		if p := "/" + name; ValidatePath(p) == nil {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// Watch starts the folder watcher on first use.
func (d *Dir) Watch(ctx context.Context, prefix string) (<-chan Event, error) {
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, &fs.PathError{Op: "watch", Path: pre, Err: ErrClosed}
	}
	if d.watcher == nil {
		w, err := startDirWatcher(d)
		if err != nil {
			return nil, d.pathErr("watch", pre, err)
		}
		d.watcher = w
	}
	return d.hub.subscribe(ctx, pre)
}

// Close stops the watcher, closes every watch channel and the folder.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.watcher != nil {
		d.watcher.stop()
	}
	d.hub.close()
	return d.root.Close()
}
