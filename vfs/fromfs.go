package vfs

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// ErrReadOnly: a write or delete on a store that cannot change (FromFS).
var ErrReadOnly = errors.New("vfs: store is read-only")

// FromFS is a read-only store over an fs.FS: an embed.FS ships modules
// inside the binary, os.DirFS serves a folder that never changes. Store
// path "/a/b.js" is fsys's "a/b.js". Write and Delete fail with
// ErrReadOnly; Watch reports nothing, as nothing changes, and closes its
// channel when its context ends or the store closes.
func FromFS(fsys fs.FS) Store {
	return &fsStore{fsys: fsys, done: make(chan struct{})}
}

type fsStore struct {
	fsys fs.FS
	once sync.Once
	done chan struct{} // closed by Close
}

func (s *fsStore) check(ctx context.Context, op, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.done:
		return &fs.PathError{Op: op, Path: p, Err: ErrClosed}
	default:
	}
	return nil
}

func (s *fsStore) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ValidatePath(p); err != nil {
		return nil, err
	}
	if err := s.check(ctx, "read", p); err != nil {
		return nil, err
	}
	data, err := fs.ReadFile(s.fsys, strings.TrimPrefix(p, "/"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isDir(s.fsys, p) {
			return nil, &fs.PathError{Op: "read", Path: p, Err: ErrNotFound}
		}
		return nil, err
	}
	return data, nil
}

func isDir(fsys fs.FS, p string) bool {
	info, err := fs.Stat(fsys, strings.TrimPrefix(p, "/"))
	return err == nil && info.IsDir()
}

func (s *fsStore) Write(ctx context.Context, p string, _ []byte) error {
	if err := s.check(ctx, "write", p); err != nil {
		return err
	}
	return &fs.PathError{Op: "write", Path: p, Err: ErrReadOnly}
}

func (s *fsStore) Delete(ctx context.Context, p string) error {
	if err := s.check(ctx, "delete", p); err != nil {
		return err
	}
	return &fs.PathError{Op: "delete", Path: p, Err: ErrReadOnly}
}

func (s *fsStore) List(ctx context.Context, prefix string) ([]string, error) {
	prefix, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, "list", prefix); err != nil {
		return nil, err
	}
	root := strings.TrimPrefix(prefix, "/")
	if root == "" {
		root = "."
	}
	var out []string
	err = fs.WalkDir(s.fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() && ValidatePath("/"+p) == nil {
			out = append(out, "/"+p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func (s *fsStore) Watch(ctx context.Context, prefix string) (<-chan Event, error) {
	if _, err := ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := s.check(ctx, "watch", prefix); err != nil {
		return nil, err
	}
	ch := make(chan Event)
	go func() {
		defer close(ch)
		select {
		case <-ctx.Done():
		case <-s.done:
		}
	}()
	return ch, nil
}

func (s *fsStore) Close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}
