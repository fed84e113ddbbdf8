//go:build linux

package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// completions reports files whose writing is done: closed after a write
// (IN_CLOSE_WRITE) or moved into place (IN_MOVED_TO, an editor's save).
// fsnotify does not expose those, and without them a watcher can only wait
// out a window to avoid reading a file half written: 25 ms of every save.
type completions struct {
	f    *os.File
	mu   sync.Mutex
	dirs map[int32]string // watch descriptor → absolute folder
	out  chan string      // absolute file names
	quit chan struct{}    // closed by close: a send waiting on out gives up
	once sync.Once
}

func newCompletions() (*completions, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	// Non-blocking and wrapped in an os.File: a Read waits in the runtime's
	// poller, and Close ends it.
	c := &completions{f: os.NewFile(uintptr(fd), "inotify"), dirs: make(map[int32]string), out: make(chan string, 256), quit: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *completions) add(dir string) error {
	wd, err := unix.InotifyAddWatch(int(c.f.Fd()), dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO|unix.IN_ONLYDIR)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.dirs[int32(wd)] = dir
	c.mu.Unlock()
	return nil
}

func (c *completions) events() <-chan string { return c.out }

func (c *completions) close() {
	c.once.Do(func() {
		close(c.quit)
		c.f.Close()
	})
}

func (c *completions) read() {
	defer close(c.out)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameLen := int(ev.Len)
			if off+unix.SizeofInotifyEvent+nameLen > n {
				break
			}
			raw := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+nameLen]
			off += unix.SizeofInotifyEvent + nameLen
			if ev.Mask&unix.IN_IGNORED != 0 {
				c.mu.Lock()
				delete(c.dirs, ev.Wd)
				c.mu.Unlock()
				continue
			}
			if ev.Mask&(unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO) == 0 || ev.Mask&unix.IN_ISDIR != 0 {
				continue
			}
			c.mu.Lock()
			dir, ok := c.dirs[ev.Wd]
			c.mu.Unlock()
			if !ok {
				continue
			}
			name := string(raw)
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i] // the kernel pads names with NULs
			}
			select {
			case c.out <- filepath.Join(dir, name):
			case <-c.quit:
				return
			}
		}
	}
}
