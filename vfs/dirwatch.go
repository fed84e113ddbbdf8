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
type dirWatcher struct {
	d     *Dir
	fw    *fsnotify.Watcher
	known map[string]bool      // files believed to exist, by store path
	due   map[string]time.Time // paths to check once quiet
	timer *time.Timer
	rev   uint64
	quit  chan struct{}
	done  chan struct{}
}

func startDirWatcher(d *Dir) (*dirWatcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &dirWatcher{
		d: d, fw: fw,
		known: make(map[string]bool),
		due:   make(map[string]time.Time),
		timer: time.NewTimer(time.Hour),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	w.timer.Stop()
	// Watches go on before the files are listed, so nothing created in
	// between is missed.
	if err := w.addTree("/", false); err != nil {
		fw.Close()
		return nil, err
	}
	go w.run()
	return w, nil
}

func (w *dirWatcher) stop() {
	close(w.quit)
	<-w.done
	w.fw.Close()
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

func (w *dirWatcher) schedule(p string) {
	w.due[p] = time.Now().Add(w.d.window)
	w.timer.Reset(w.d.window)
}

func (w *dirWatcher) run() {
	defer close(w.done)
	for {
		select {
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
	var next time.Duration
	var ready []string
	for p, t := range w.due {
		if wait := t.Sub(now); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		ready = append(ready, p)
	}
	// Report in the order the paths went quiet, as the changes happened.
	slices.SortFunc(ready, func(a, b string) int { return w.due[a].Compare(w.due[b]) })
	for _, p := range ready {
		delete(w.due, p)
		w.report(p)
	}
	if next > 0 {
		w.timer.Reset(next)
	}
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
