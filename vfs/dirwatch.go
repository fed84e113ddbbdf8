package vfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// dirWatcher turns fsnotify's raw events into one Event per path and burst.
// One goroutine owns all of its state, so it needs no locks.
//
// A path is reported once its writing is done: right after the writer
// closes it or an editor renames it into place (completions, on Linux), or
// else once it has been quiet for the window, the fallback for writers that
// never close (mmap) and for systems without completion events.
type dirWatcher struct {
	d     *Dir
	fw    *fsnotify.Watcher
	cw    *completions    // nil where unsupported
	known map[string]bool // files believed to exist, by store path
	due   map[string]due  // paths to check
	timer *time.Timer
	armed time.Time // when the timer fires; zero when stopped
	rev   uint64
	quit  chan struct{}
	done  chan struct{}
}

// due is when to check a path. A completed file is checked after settle,
// unless it changed again since (a new write began: wait for its end).
type due struct {
	at       time.Time
	complete bool
	size     int64
	mod      time.Time
}

// settle lets a burst of completions (one save touching several files)
// arrive before the first is reported; the Runtime groups them further.
const settle = time.Millisecond

func startDirWatcher(d *Dir) (*dirWatcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	cw, err := newCompletions()
	if err != nil {
		cw = nil // the window alone decides
	}
	w := &dirWatcher{
		d: d, fw: fw, cw: cw,
		known: make(map[string]bool),
		due:   make(map[string]due),
		timer: time.NewTimer(time.Hour),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	w.timer.Stop()
	// Watches go on before the files are listed, so nothing created in
	// between is missed.
	if err := w.addTree("/", false); err != nil {
		fw.Close()
		if cw != nil {
			cw.close()
		}
		return nil, err
	}
	go w.run()
	return w, nil
}

func (w *dirWatcher) stop() {
	close(w.quit)
	<-w.done
	w.fw.Close()
	if w.cw != nil {
		w.cw.close()
	}
}

// addTree watches the folder p and every folder below it, and records or
// schedules a check of every file found there.
func (w *dirWatcher) addTree(p string, schedule bool) error {
	return filepath.WalkDir(filepath.Join(w.d.abs, filepath.FromSlash(p)), func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone again before we got to it
			}
			return err
		}
		if e.IsDir() {
			if err := w.fw.Add(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if w.cw != nil {
				_ = w.cw.add(name) // without it, this folder's files wait out the window
			}
			return nil
		}
		sp, ok := w.storePath(name)
		if !ok {
			return nil
		}
		if schedule {
			w.schedule(sp)
		} else if w.exists(sp) {
			w.known[sp] = true
		}
		return nil
	})
}

// storePath maps an absolute file name to its store path; false for names
// the store does not report (outside, invalid, or an editor's temporary).
func (w *dirWatcher) storePath(name string) (string, bool) {
	r, err := filepath.Rel(w.d.abs, name)
	if err != nil || r == "." || !filepath.IsLocal(r) || isEditorTemp(filepath.Base(r)) {
		return "", false
	}
	p := "/" + filepath.ToSlash(r)
	return p, ValidatePath(p) == nil
}

func (w *dirWatcher) exists(p string) bool {
	info, err := w.d.root.Stat(rel(p))
	return err == nil && info.Mode().IsRegular()
}

// schedule checks p once it has been quiet for the window. A completion
// already pending is not put off: the raw event that led to it may arrive
// after it (they come through two inotify queues).
func (w *dirWatcher) schedule(p string) {
	if d, ok := w.due[p]; ok && d.complete {
		return
	}
	w.arm(p, due{at: time.Now().Add(w.d.window)})
}

// completed checks the file name soon: its writer closed it, or it was
// renamed into place.
func (w *dirWatcher) completed(name string) {
	sp, ok := w.storePath(name)
	if !ok {
		return
	}
	d := due{at: time.Now().Add(settle), complete: true}
	if info, err := w.d.root.Stat(rel(sp)); err == nil {
		d.size, d.mod = info.Size(), info.ModTime()
	}
	w.arm(sp, d)
}

func (w *dirWatcher) arm(p string, d due) {
	w.due[p] = d
	if w.armed.IsZero() || d.at.Before(w.armed) {
		w.armed = d.at
		w.timer.Reset(time.Until(d.at))
	}
}

func (w *dirWatcher) run() {
	defer close(w.done)
	var completed <-chan string
	if w.cw != nil {
		completed = w.cw.events()
	}
	for {
		select {
		case name, ok := <-completed:
			if !ok {
				completed = nil
				continue
			}
			w.completed(name)
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			w.handle(ev)
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.rescan() // the kernel dropped events: compare everything
			}
		case <-w.timer.C:
			w.armed = time.Time{}
			w.flush()
		case <-w.quit:
			return
		}
	}
}

func (w *dirWatcher) handle(ev fsnotify.Event) {
	if ev.Op == fsnotify.Chmod {
		return
	}
	r, err := filepath.Rel(w.d.abs, ev.Name)
	if err != nil || !filepath.IsLocal(r) {
		return
	}
	p := "/" + filepath.ToSlash(r)
	if ev.Has(fsnotify.Create) {
		if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
			_ = w.addTree(p, true)
			return
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// p may have been a folder: every file known below it may be gone.
		for k := range w.known {
			if under(k, p) {
				w.schedule(k)
			}
		}
	}
	if sp, ok := w.storePath(ev.Name); ok {
		w.schedule(sp)
	}
}

// flush checks every path whose window has passed and reports its state.
func (w *dirWatcher) flush() {
	now := time.Now()
	var ready []string
	for p, d := range w.due {
		if d.at.After(now) {
			continue
		}
		if d.complete && w.rewritten(p, d) {
			// Written again since it was closed: its next close says when.
			w.due[p] = due{at: now.Add(w.d.window)}
			continue
		}
		ready = append(ready, p)
	}
	// Report in the order the paths went quiet, as the changes happened.
	slices.SortFunc(ready, func(a, b string) int { return w.due[a].at.Compare(w.due[b].at) })
	for _, p := range ready {
		delete(w.due, p)
		w.report(p)
	}
	var next time.Time
	for _, d := range w.due {
		if next.IsZero() || d.at.Before(next) {
			next = d.at
		}
	}
	if !next.IsZero() {
		w.armed = next
		w.timer.Reset(time.Until(next))
	}
}

// rewritten reports whether p changed after its completion was seen.
func (w *dirWatcher) rewritten(p string, d due) bool {
	info, err := w.d.root.Stat(rel(p))
	if err != nil {
		return false // gone: report the deletion
	}
	return info.Size() != d.size || !info.ModTime().Equal(d.mod)
}

func (w *dirWatcher) report(p string) {
	var op Op
	switch exists := w.exists(p); {
	case exists && w.known[p]:
		op = Modified
	case exists:
		op = Created
		w.known[p] = true
	case w.known[p]:
		op = Deleted
		delete(w.known, p)
	default:
		return // a temporary file that came and went
	}
	w.rev++
	w.d.hub.publish(Event{Path: p, Op: op, Revision: w.rev})
}

// rescan reconciles the known set with the folder after lost events.
func (w *dirWatcher) rescan() {
	for p := range w.known {
		w.schedule(p)
	}
	files, err := w.d.walk(context.Background(), "/")
	if err != nil {
		return
	}
	for _, p := range files {
		w.schedule(p)
	}
	// Folders created while events were lost need watches too.
	_ = w.addTree("/", true)
}
