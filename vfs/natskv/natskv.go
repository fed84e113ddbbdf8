// Package natskv is a vfs.Store on a NATS JetStream key-value bucket: the
// module store a fleet of hotmod nodes shares. Every node that opens the
// same bucket sees every write, and its Watch reports them, so one write
// reloads the module on every node.
//
// Paths become keys by joining their segments with "." and escaping every
// byte outside [-_a-zA-Z0-9] as =XX (/lib/tax.ts is lib.tax=2Ets), so any
// valid vfs path is a valid key, and a folder prefix is a wildcard
// (/lib/ watches lib.>). Revisions are the bucket's; History lists the
// revisions the bucket keeps (at most 64 per key).
//
// A Store outlives the NATS server losing its data: when the bucket's
// stream is gone, was made again, or was purged below the last revision
// the Store saw, it makes the bucket again (and the buckets Keep names),
// follows it from its start, and says so once in the log and in Lost.
// Sources that vanished that way are not reported deleted, so a node
// keeps serving what it loaded; only a delete in the live stream is a
// deletion.
package natskv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod/vfs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configure Open.
type Options struct {
	// History is how many revisions of each path the bucket keeps, when
	// Open creates it (1 to 64). Default 16.
	History uint8
	// Replicas is the bucket's replica count when Open creates it.
	// Default 1.
	Replicas int
	// Logger hears that the bucket's stream was lost (one Warn each
	// time). Default slog.Default().
	Logger *slog.Logger
	// CheckInterval is how often the Store asks the server whether the
	// bucket's stream is still the one it follows, besides after every
	// reconnection: a stream deleted or purged while connected is found
	// within it. Default 10s; one request each time.
	CheckInterval time.Duration
}

// ErrLost is what a *LostError matches: the bucket's stream lost what the
// Store had seen.
var ErrLost = errors.New("natskv: the bucket's stream lost its data")

// LostError says that the bucket's stream was found gone, made again or
// purged, and not yet written since: the store's sources are missing, and
// a node keeps serving what it has.
type LostError struct {
	Bucket string
	Why    string    // what was found
	Seen   uint64    // the last revision seen before
	Since  time.Time // when it was found
}

func (e *LostError) Error() string {
	return fmt.Sprintf("natskv: bucket %s: %s (the last revision seen was %d, found %s); serving what was loaded until the store holds sources again",
		e.Bucket, e.Why, e.Seen, e.Since.Format(time.RFC3339))
}

func (e *LostError) Is(target error) bool { return target == ErrLost }

// Store is a vfs.Store and vfs.Historian on a key-value bucket.
type Store struct {
	kv    jetstream.KeyValue
	js    jetstream.JetStream
	blobs jetstream.ObjectStore // made on the first large source
	limit int                   // the largest value stored in the bucket itself
	blobM sync.Mutex
	name  string
	hub   *vfs.Hub

	stop  context.CancelFunc
	done  chan struct{}
	log   *slog.Logger
	each  time.Duration // CheckInterval
	kick  chan struct{} // a write found the stream gone: look now
	made  time.Time     // the creation time of the stream followed
	keep  []keptBucket  // buckets made again with this one's, this one first
	keepM sync.Mutex    // guards keep and made

	mu     sync.Mutex
	closed bool
	ready  chan struct{} // closed once the watcher has seen the bucket's current keys
	lost   *LostError
}

// keptBucket is a bucket's stream as it was made, to make it again.
type keptBucket struct {
	name string
	cfg  jetstream.StreamConfig
}

// Open opens the bucket named bucket, creating it if it does not exist,
// and starts following its changes. The Store does not close js's
// connection.
func Open(ctx context.Context, js jetstream.JetStream, bucket string, opts Options) (*Store, error) {
	if opts.History == 0 {
		opts.History = 16
	}
	if opts.History > 64 {
		return nil, fmt.Errorf("natskv: History %d: a bucket keeps at most 64 revisions of a key", opts.History)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, History: opts.History, Replicas: max(opts.Replicas, 1),
		Description: "hotmod module sources",
	})
	if err != nil {
		return nil, fmt.Errorf("natskv: opening bucket %q: %w", bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("natskv: opening bucket %q: %w", bucket, err)
	}
	info := st.(*jetstream.KeyValueBucketStatus).StreamInfo()
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	// A message must fit the server's max payload (1 MiB by default), with
	// room for headers; a larger source goes to an object store, and the
	// key holds a reference to it.
	limit := int(js.Conn().MaxPayload()) - 4096
	s := &Store{kv: kv, js: js, limit: limit, name: bucket, hub: vfs.NewHub(), stop: stop, done: make(chan struct{}), ready: make(chan struct{}),
		log: opts.Logger, each: opts.CheckInterval, kick: make(chan struct{}, 1), made: info.Created,
		keep: []keptBucket{{name: bucket, cfg: info.Config}}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.each <= 0 {
		s.each = 10 * time.Second
	}
	go s.follow(wctx)
	select {
	case <-s.ready:
	case <-ctx.Done():
		_ = s.Close()
		return nil, ctx.Err()
	}
	return s, nil
}

// follow watches the whole bucket and publishes its changes, watching
// again (from the revision after the last it saw) when the watch ends
// without the Store closing: a watch does not survive the connection
// dropping. Before watching again it checks that the stream is still the
// one it followed (see inspect); if not, it follows the new one from its
// start.
func (s *Store) follow(ctx context.Context) {
	defer close(s.done)
	// A watch is not recovered after the connection drops (nats.go
	// #1777): each reconnection starts a new one.
	nc := s.js.Conn()
	reconnected := nc.StatusChanged(nats.CONNECTED)
	defer nc.RemoveStatusListener(reconnected)
	known := map[string]bool{} // paths that exist, to tell created from modified
	var last uint64
	backoff := 50 * time.Millisecond
	// ready: Open has been let go, after the first watch sent the
	// bucket's state (or ended); later watches publish all they see.
	ready := false
	for tries := 0; ctx.Err() == nil; tries++ {
		if tries > 0 {
			ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
			why, err := s.inspect(ictx, last)
			cancel()
			if err != nil {
				// Unreachable, or not allowed: try again as for a watch.
				select {
				case <-time.After(backoff):
					backoff = min(2*backoff, 5*time.Second)
					continue
				case <-ctx.Done():
					return
				}
			}
			if why != "" {
				s.setLost(why, last)
				last = 0 // the new stream numbers from 1
			}
		}
		var opts []jetstream.WatchOpt
		if last > 0 {
			opts = append(opts, jetstream.ResumeFromRevision(last+1))
		}
		w, err := s.kv.WatchAll(ctx, opts...)
		if err != nil {
			select {
			case <-time.After(backoff):
				backoff = min(2*backoff, 5*time.Second)
				continue
			case <-ctx.Done():
				return
			}
		}
		backoff = 50 * time.Millisecond
		initial := !ready
		s.drain(ctx, w, reconnected, known, &last, &initial)
		_ = w.Stop()
		if initial {
			s.markReady() // never leave Open waiting on a watch that ended
		}
		ready = true
	}
}

// drain publishes what w delivers until it ends, the connection comes
// back after a drop (the watch is then dead), a look at the stream finds
// it is not the one followed, or ctx ends.
func (s *Store) drain(ctx context.Context, w jetstream.KeyWatcher, reconnected <-chan nats.Status, known map[string]bool, last *uint64, initial *bool) {
	tick := time.NewTicker(s.each)
	defer tick.Stop()
	for {
		var e jetstream.KeyValueEntry
		select {
		case got, ok := <-w.Updates():
			if !ok {
				return
			}
			e = got
		case <-reconnected:
			return
		case <-tick.C:
			if s.changed(ctx, *last) {
				return
			}
			continue
		case <-s.kick:
			return // follow looks at the stream
		case <-ctx.Done():
			return
		}
		if e == nil { // the bucket's current state has been sent
			if *initial {
				*initial = false
				s.markReady()
			}
			continue
		}
		*last = max(*last, e.Revision())
		p, err := decode(e.Key())
		if err != nil {
			continue // not a key this package wrote
		}
		ev := vfs.Event{Path: p, Revision: e.Revision()}
		switch e.Operation() {
		case jetstream.KeyValuePut:
			ev.Op = vfs.Created
			if known[p] {
				ev.Op = vfs.Modified
			}
			known[p] = true
			s.found()
		default:
			if !known[p] && *initial {
				continue // deleted before we looked
			}
			ev.Op = vfs.Deleted
			delete(known, p)
		}
		if !*initial {
			s.hub.Publish(ev)
		}
	}
}

// changed reports whether the stream is no longer the one followed; an
// unreachable server is not a change (the reconnection looks again).
func (s *Store) changed(ctx context.Context, last uint64) bool {
	s.keepM.Lock()
	made := s.made
	s.keepM.Unlock()
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := s.kv.Status(ictx)
	if err != nil {
		return streamGone(err)
	}
	return differs(st.(*jetstream.KeyValueBucketStatus).StreamInfo(), made, last) != ""
}

// differs says how the stream info describes is not the stream made at
// made that the Store followed up to revision last, or "".
func differs(info *jetstream.StreamInfo, made time.Time, last uint64) string {
	switch {
	case !info.Created.Equal(made):
		return fmt.Sprintf("the bucket's stream was made again at %s", info.Created.Format(time.RFC3339))
	case info.State.LastSeq < last:
		return fmt.Sprintf("the bucket's stream was reset back to revision %d", info.State.LastSeq)
	case last > 0 && info.State.Msgs == 0:
		// Every key deleted leaves delete markers: an empty stream was
		// purged, its sources gone without a deletion of any.
		return "the bucket's stream was purged"
	}
	return ""
}

// inspect looks at the bucket's stream and says why it is not the one the
// Store followed up to revision last: gone (made again here, with the
// buckets Keep named), made again by someone else, or purged below last.
// "" means it is the same stream.
func (s *Store) inspect(ctx context.Context, last uint64) (why string, err error) {
	st, err := s.kv.Status(ctx)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		why = "the bucket's stream was gone (the NATS server lost its data, or the bucket was deleted); made it again"
		if err := s.remake(ctx); err != nil {
			return "", err
		}
		if st, err = s.kv.Status(ctx); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	info := st.(*jetstream.KeyValueBucketStatus).StreamInfo()
	s.keepM.Lock()
	defer s.keepM.Unlock()
	if why == "" {
		why = differs(info, s.made, last)
	}
	s.made = info.Created
	if why != "" {
		// The other buckets went with it, most likely: make them again
		// (a no-op for those another node made already).
		s.keepM.Unlock()
		err := s.remake(ctx)
		s.keepM.Lock()
		if err != nil {
			return "", err
		}
	}
	return why, nil
}

// remake makes every kept bucket's stream again, as it was made; one that
// exists is left as it is.
func (s *Store) remake(ctx context.Context) error {
	s.keepM.Lock()
	keep := slices.Clone(s.keep)
	s.keepM.Unlock()
	for _, b := range keep {
		if _, err := s.js.CreateOrUpdateStream(ctx, b.cfg); err != nil {
			return fmt.Errorf("natskv: making bucket %s again: %w", b.name, err)
		}
	}
	s.blobM.Lock()
	s.blobs = nil // its stream went too: made again on the next large source
	s.blobM.Unlock()
	return nil
}

// streamGone reports whether err is how nats.go says a bucket's stream is
// missing: its jetstream and its legacy API (which watches use) have one
// error each, a put finds no stream to answer, and a direct get no
// responder.
func streamGone(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// Keep makes the Store make kv's bucket again, as it is now, whenever it
// finds its own stream lost: the buckets a node uses beside the module
// store (its status, its rollouts) go with it when the server loses its
// data.
func (s *Store) Keep(ctx context.Context, kv jetstream.KeyValue) error {
	st, err := kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("natskv: keeping bucket %s: %w", kv.Bucket(), err)
	}
	cfg := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config
	s.keepM.Lock()
	defer s.keepM.Unlock()
	if !slices.ContainsFunc(s.keep, func(b keptBucket) bool { return b.name == kv.Bucket() }) {
		s.keep = append(s.keep, keptBucket{name: kv.Bucket(), cfg: cfg})
	}
	return nil
}

// setLost records and logs that the stream was lost.
func (s *Store) setLost(why string, last uint64) {
	l := &LostError{Bucket: s.name, Why: why, Seen: last, Since: time.Now().UTC()}
	s.mu.Lock()
	s.lost = l
	s.mu.Unlock()
	s.log.Warn("module store lost: its sources are gone from NATS; modules keep serving what they loaded, and nothing is unloaded until a source is deleted again; put the sources again",
		"bucket", s.name, "found", why, "lastRevisionSeen", last)
}

// found ends a loss: the store holds a source again.
func (s *Store) found() {
	s.mu.Lock()
	l := s.lost
	s.lost = nil
	s.mu.Unlock()
	if l != nil {
		s.log.Info("module store holds sources again", "bucket", s.name, "lostSince", l.Since)
	}
}

// Lost returns a *LostError (matching ErrLost) while the bucket's stream
// has lost what the Store had seen and no source has been written to it
// since; nil otherwise. Nothing is unloaded meanwhile.
func (s *Store) Lost() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lost == nil {
		return nil
	}
	return s.lost
}

// gone reports whether err says the bucket's stream is missing; it then
// makes the stream again and wakes follow to look, so the write can be
// tried again.
func (s *Store) gone(ctx context.Context, err error) bool {
	if !streamGone(err) {
		return false
	}
	if s.remake(ctx) != nil {
		return false
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return true
}

func (s *Store) markReady() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
}

// check fails once the Store is closed, or when ctx has ended.
func (s *Store) check(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return vfs.ErrClosed
	}
	return ctx.Err()
}

// Read returns the file's content.
func (s *Store) Read(ctx context.Context, p string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return nil, err
	}
	e, err := s.kv.Get(ctx, encode(p))
	if err != nil {
		return nil, s.fail("read", p, err)
	}
	return s.content(ctx, p, e.Value())
}

// Write replaces the file. A path that is a folder of other files, or
// under a file, is ErrConflict.
func (s *Store) Write(ctx context.Context, p string, data []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return err
	}
	return s.healing(ctx, func() error { return s.write(ctx, p, data) })
}

// healing runs op, and once more if it failed because the bucket's stream
// was gone (gone makes it again): a put after the server lost its data
// succeeds.
func (s *Store) healing(ctx context.Context, op func() error) error {
	err := op()
	if err != nil && s.gone(ctx, err) {
		err = op()
	}
	return err
}

func (s *Store) write(ctx context.Context, p string, data []byte) error {
	if err := s.fileFits(ctx, p); err != nil {
		return err
	}
	value, err := s.stored(ctx, data)
	if err != nil {
		return s.fail("write", p, err)
	}
	if _, err := s.kv.Put(ctx, encode(p), value); err != nil {
		return s.fail("write", p, err)
	}
	return nil
}

// fileFits checks that p can be a file: no folder above it is a file, and
// it is not a folder of other files.
func (s *Store) fileFits(ctx context.Context, p string) error {
	for dir := range ancestors(p) {
		if _, err := s.kv.Get(ctx, encode(dir)); err == nil {
			return fmt.Errorf("%w: %s is a file, so %s cannot be in it", vfs.ErrConflict, dir, p)
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return s.fail("write", p, err)
		}
	}
	if has, err := s.hasUnder(ctx, p); err != nil {
		return s.fail("write", p, err)
	} else if has {
		return fmt.Errorf("%w: %s is a folder of other files", vfs.ErrConflict, p)
	}
	return nil
}

// blobMark starts a value that refers to a source kept in the object
// store; a source that itself starts with it is kept there too, so a value
// that starts with it is always a reference.
var blobMark = []byte("\x00hotmod-blob:")

// stored is what the bucket keeps for data: data itself, or for a source
// too large for one message, a reference to it in the object store, named
// by its SHA-256 (so history revisions keep their content).
func (s *Store) stored(ctx context.Context, data []byte) ([]byte, error) {
	if len(data) <= s.limit && !bytes.HasPrefix(data, blobMark) {
		return data, nil
	}
	obs, err := s.objects(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	meta := jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: uint32(max(s.limit, 1024))}}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("storing a %d-byte source in object store %s: %w", len(data), s.name+"-sources", err)
	}
	return fmt.Appendf(slices.Clone(blobMark), "%s:%d", name, len(data)), nil
}

// size is the size of the source a bucket value stands for.
func size(value []byte) int {
	ref, ok := bytes.CutPrefix(value, blobMark)
	if !ok {
		return len(value)
	}
	_, n, _ := bytes.Cut(ref, []byte(":"))
	size, _ := strconv.Atoi(string(n))
	return size
}

// content is the source a bucket value stands for.
func (s *Store) content(ctx context.Context, p string, value []byte) ([]byte, error) {
	ref, ok := bytes.CutPrefix(value, blobMark)
	if !ok {
		return slices.Clone(value), nil
	}
	name, _, _ := bytes.Cut(ref, []byte(":"))
	obs, err := s.objects(ctx)
	if err != nil {
		return nil, s.fail("read", p, err)
	}
	b, err := obs.GetBytes(ctx, string(name))
	if err != nil {
		return nil, s.fail("read", p, fmt.Errorf("its source, object %s: %w", name, err))
	}
	return b, nil
}

// objects is the object store of large sources, made when first needed.
func (s *Store) objects(ctx context.Context) (jetstream.ObjectStore, error) {
	s.blobM.Lock()
	defer s.blobM.Unlock()
	if s.blobs != nil {
		return s.blobs, nil
	}
	obs, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: s.name + "-sources", Description: "hotmod sources too large for one message"})
	if err != nil {
		return nil, err
	}
	s.blobs = obs
	return obs, nil
}

// Delete removes the file.
func (s *Store) Delete(ctx context.Context, p string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return err
	}
	return s.healing(ctx, func() error {
		e, err := s.kv.Get(ctx, encode(p))
		if err != nil {
			return s.fail("delete", p, err)
		}
		if err := s.kv.Delete(ctx, encode(p), jetstream.LastRevision(e.Revision())); err != nil {
			return s.fail("delete", p, err)
		}
		return nil
	})
}

// List returns the paths under prefix, sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	pre, err := vfs.ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	l, err := s.kv.ListKeysFiltered(ctx, filter(pre))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return []string{}, nil
		}
		return nil, s.fail("list", pre, err)
	}
	seen := map[string]bool{}
	out := []string{}
	for k := range l.Keys() {
		if p, err := decode(k); err == nil && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	_ = l.Stop()
	slices.Sort(out)
	return out, nil
}

// hasUnder reports whether a file exists under the folder p.
func (s *Store) hasUnder(ctx context.Context, p string) (bool, error) {
	l, err := s.kv.ListKeysFiltered(ctx, encode(p)+".>")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return false, nil
		}
		return false, err
	}
	defer l.Stop()
	for range l.Keys() {
		return true, nil
	}
	return false, nil
}

// Watch reports the changes under prefix until ctx ends or the Store
// closes.
func (s *Store) Watch(ctx context.Context, prefix string) (<-chan vfs.Event, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	pre, err := vfs.ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	return s.hub.Subscribe(ctx, pre)
}

// History lists the bucket's revisions of p, newest first.
func (s *Store) History(ctx context.Context, p string) ([]vfs.Revision, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return nil, err
	}
	es, err := s.kv.History(ctx, encode(p))
	if err != nil {
		return nil, s.fail("history", p, err)
	}
	out := make([]vfs.Revision, 0, len(es))
	exists := false
	for _, e := range es { // oldest first
		r := vfs.Revision{Rev: e.Revision(), Time: e.Created(), Size: size(e.Value())}
		switch {
		case e.Operation() != jetstream.KeyValuePut:
			r.Op, exists = vfs.Deleted, false
		case exists:
			r.Op = vfs.Modified
		default:
			r.Op, exists = vfs.Created, true
		}
		out = append(out, r)
	}
	slices.Reverse(out)
	return out, nil
}

// ReadRevision returns p's content at rev.
func (s *Store) ReadRevision(ctx context.Context, p string, rev uint64) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return nil, err
	}
	e, err := s.kv.GetRevision(ctx, encode(p), rev)
	if err != nil {
		return nil, s.fail("read", fmt.Sprintf("%s at revision %d", p, rev), err)
	}
	if e.Operation() != jetstream.KeyValuePut {
		return nil, fmt.Errorf("%w: %s at revision %d (a deletion)", vfs.ErrNotFound, p, rev)
	}
	return s.content(ctx, p, e.Value())
}

// Close stops following the bucket and closes every watch channel. It
// does not close the NATS connection.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.hub.Close()
	<-s.done
	return nil
}

// fail turns a JetStream error into the vfs one it means.
func (s *Store) fail(op, p string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return fmt.Errorf("%w: %s", vfs.ErrNotFound, p)
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return fmt.Errorf("%w: %s changed during the %s", vfs.ErrConflict, p, op)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("natskv: %s %s: %w", op, p, err)
}

// ancestors yields the folders p is in, outermost first.
func ancestors(p string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for i := 1; i < len(p); i++ {
			if p[i] == '/' && !yield(p[:i]) {
				return
			}
		}
	}
}

// encode is the key of path p: its segments joined by ".", each byte
// outside [-_a-zA-Z0-9] written as =XX.
func encode(p string) string {
	var b strings.Builder
	for i, seg := range strings.Split(p[1:], "/") {
		if i > 0 {
			b.WriteByte('.')
		}
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "=%02X", c)
			}
		}
	}
	return b.String()
}

// decode is the path of key k, the inverse of encode.
func decode(k string) (string, error) {
	var b strings.Builder
	for _, seg := range strings.Split(k, ".") {
		if seg == "" {
			return "", fmt.Errorf("natskv: key %q has an empty token", k)
		}
		b.WriteByte('/')
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			if c != '=' {
				b.WriteByte(c)
				continue
			}
			if j+2 >= len(seg) {
				return "", fmt.Errorf("natskv: key %q has a cut escape", k)
			}
			v, err := strconv.ParseUint(seg[j+1:j+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("natskv: key %q has a bad escape: %w", k, err)
			}
			b.WriteByte(byte(v))
			j += 2
		}
	}
	p := b.String()
	if err := vfs.ValidatePath(p); err != nil {
		return "", err
	}
	return p, nil
}

// filter is the key filter of the canonical prefix pre.
func filter(pre string) string {
	if pre == "/" {
		return ">"
	}
	return encode(pre) + ".>"
}

// Key is the bucket key of a valid vfs path (see the package
// documentation): other buckets keyed by path use it too.
func Key(p string) string { return encode(p) }
