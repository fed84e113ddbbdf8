package vfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bolt is a Store in an embedded bbolt database file: every write is an ACID
// transaction, revisions increase monotonically across restarts, and the last
// revisions of every path are kept (see WithHistoryDepth).
type Bolt struct {
	db    *bolt.DB
	file  string
	depth int
	hub   *hub

	// wmu orders commits and their events: watchers hear of changes in
	// commit order.
	wmu    sync.Mutex
	closed bool
}

var (
	_ Store     = (*Bolt)(nil)
	_ Historian = (*Bolt)(nil)
)

var (
	bucketFiles = []byte("files")
	bucketHist  = []byte("history")
	bucketMeta  = []byte("meta")
	keyFormat   = []byte("format")
	formatV1    = []byte("hotmod-vfs-1")
)

// OpenBolt opens or creates the database file. WithHistoryDepth and
// WithLockTimeout apply. A file another process holds gives an error matching
// ErrLocked; a file that is not a hotmod database, or is damaged, gives one
// matching ErrCorrupt.
func OpenBolt(file string, opts ...Option) (*Bolt, error) {
	o := buildOptions(opts)
	db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: o.lockTimeout})
	if err != nil {
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, fmt.Errorf("vfs: open %s: held by another process after %v: %w", file, o.lockTimeout, ErrLocked)
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch),
			errors.Is(err, bolterrors.ErrChecksum):
			return nil, fmt.Errorf("vfs: open %s: %v: %w", file, err, ErrCorrupt)
		}
		return nil, fmt.Errorf("vfs: open %s: %w", file, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("vfs: open %s: a bbolt database, but not a hotmod store: %w", file, ErrCorrupt)
			}
			var err error
			if meta, err = tx.CreateBucket(bucketMeta); err != nil {
				return err
			}
			if err := meta.Put(keyFormat, formatV1); err != nil {
				return err
			}
		} else if f := meta.Get(keyFormat); !bytes.Equal(f, formatV1) {
			return fmt.Errorf("vfs: open %s: unknown store format %q: %w", file, f, ErrCorrupt)
		}
		for _, name := range [][]byte{bucketFiles, bucketHist} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Bolt{db: db, file: file, depth: o.historyDepth, hub: newHub()}, nil
}

func (b *Bolt) pathErr(op, p string, err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		err = ErrClosed
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

func (b *Bolt) view(ctx context.Context, op, p string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.db.View(fn); err != nil {
		return b.pathErr(op, p, err)
	}
	return nil
}

func (b *Bolt) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ValidatePath(p); err != nil {
		return nil, err
	}
	var out []byte
	err := b.view(ctx, "read", p, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketFiles).Get([]byte(p))
		if v == nil {
			return ErrNotFound
		}
		out = bytes.Clone(v[8:])
		return nil
	})
	return out, err
}

func (b *Bolt) Write(ctx context.Context, p string, data []byte) error {
	return b.update(ctx, "write", p, data)
}

func (b *Bolt) Delete(ctx context.Context, p string) error {
	return b.update(ctx, "delete", p, nil)
}

// update writes (op "write") or deletes (op "delete") p and its history
// record in one transaction, then tells watchers.
func (b *Bolt) update(ctx context.Context, op, p string, data []byte) error {
	if err := ValidatePath(p); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.closed {
		return b.pathErr(op, p, ErrClosed)
	}
	var ev Event
	err := b.db.Update(func(tx *bolt.Tx) error {
		files := tx.Bucket(bucketFiles)
		key := []byte(p)
		exists := files.Get(key) != nil
		switch {
		case op == "delete" && !exists:
			return ErrNotFound
		case op == "delete":
			ev.Op = Deleted
		case exists:
			ev.Op = Modified
		default:
			ev.Op = Created
			if conflict(files, p) {
				return ErrConflict
			}
		}
		rev, err := tx.Bucket(bucketMeta).NextSequence()
		if err != nil {
			return err
		}
		if ev.Op == Deleted {
			err = files.Delete(key)
		} else {
			err = files.Put(key, append(binary.BigEndian.AppendUint64(nil, rev), data...))
		}
		if err != nil {
			return err
		}
		ev.Path, ev.Revision = p, rev
		return b.appendHistory(tx, key, rev, ev.Op, data)
	})
	if err != nil {
		return b.pathErr(op, p, err)
	}
	b.hub.publish(ev)
	return nil
}

// conflict reports whether writing a new file at p would clash with a file
// that is one of its parents or with files below it.
func conflict(files *bolt.Bucket, p string) bool {
	if !parents(p, func(d string) bool { return files.Get([]byte(d)) == nil }) {
		return true
	}
	dir := []byte(p + "/")
	k, _ := files.Cursor().Seek(dir)
	return k != nil && bytes.HasPrefix(k, dir)
}

// A history record is the change time (unix nanoseconds), the op and the
// content, keyed by the big-endian revision so cursor order is revision order.
func (b *Bolt) appendHistory(tx *bolt.Tx, key []byte, rev uint64, op Op, data []byte) error {
	h, err := tx.Bucket(bucketHist).CreateBucketIfNotExists(key)
	if err != nil {
		return err
	}
	rec := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
	rec = append(append(rec, byte(op)), data...)
	if err := h.Put(binary.BigEndian.AppendUint64(nil, rev), rec); err != nil {
		return err
	}
	// Collect before deleting: a bbolt cursor skips a key after Delete.
	// Count with a cursor: Bucket.Stats does not see this transaction's puts.
	var drop [][]byte
	n := 0
	c := h.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	for k, _ := c.First(); k != nil && n-len(drop) > b.depth; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := h.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bolt) List(ctx context.Context, prefix string) ([]string, error) {
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	err = b.view(ctx, "list", pre, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFiles).Cursor()
		seek := []byte(pre + "/")
		if pre == "/" {
			seek = []byte("/")
		}
		for k, _ := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}

func (b *Bolt) Watch(ctx context.Context, prefix string) (<-chan Event, error) {
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	return b.hub.subscribe(ctx, pre)
}

func (b *Bolt) History(ctx context.Context, p string) ([]Revision, error) {
	if err := ValidatePath(p); err != nil {
		return nil, err
	}
	var out []Revision
	err := b.view(ctx, "history", p, func(tx *bolt.Tx) error {
		h := tx.Bucket(bucketHist).Bucket([]byte(p))
		if h == nil {
			return ErrNotFound
		}
		c := h.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			out = append(out, Revision{
				Rev:  binary.BigEndian.Uint64(k),
				Time: time.Unix(0, int64(binary.BigEndian.Uint64(v))),
				Op:   Op(v[8]),
				Size: len(v) - 9,
			})
		}
		if len(out) == 0 {
			return ErrNotFound
		}
		return nil
	})
	return out, err
}

func (b *Bolt) ReadRevision(ctx context.Context, p string, rev uint64) ([]byte, error) {
	if err := ValidatePath(p); err != nil {
		return nil, err
	}
	var out []byte
	err := b.view(ctx, "read", p, func(tx *bolt.Tx) error {
		h := tx.Bucket(bucketHist).Bucket([]byte(p))
		if h == nil {
			return ErrNotFound
		}
		v := h.Get(binary.BigEndian.AppendUint64(nil, rev))
		if v == nil || Op(v[8]) == Deleted {
			return ErrNotFound
		}
		out = bytes.Clone(v[9:])
		return nil
	})
	return out, err
}

// Close closes the database file and every watch channel.
func (b *Bolt) Close() error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.hub.close()
	return b.db.Close()
}
