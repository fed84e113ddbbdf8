package fleettests_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
)

// WriteIf is a compare-and-set on a real bucket: it writes onto the
// revision it names, and refuses (ErrConflict, nothing written) once
// another write came first; 0 means "no content", a deleted path included.
func TestWriteIfComparesRevisions(t *testing.T) {
	js := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := natskv.Open(ctx, js, "cas", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rev, err := s.Revision(ctx, "/p.js"); err != nil || rev != 0 {
		t.Fatalf("Revision of a missing path: %d, %v", rev, err)
	}
	r1, err := s.WriteIf(ctx, "/p.js", []byte("one"), 0)
	if err != nil || r1 == 0 {
		t.Fatalf("WriteIf on no content: %d, %v", r1, err)
	}
	if _, err := s.WriteIf(ctx, "/p.js", []byte("again"), 0); !errors.Is(err, vfs.ErrConflict) {
		t.Errorf("WriteIf(0) onto content: %v, want ErrConflict", err)
	}
	if rev, err := s.Revision(ctx, "/p.js"); err != nil || rev != r1 {
		t.Fatalf("Revision = %d, %v; want %d", rev, err, r1)
	}
	// Someone else writes: a write onto r1 must now fail and change nothing.
	if err := s.Write(ctx, "/p.js", []byte("newer")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteIf(ctx, "/p.js", []byte("stale"), r1); !errors.Is(err, vfs.ErrConflict) {
		t.Errorf("WriteIf onto an old revision: %v, want ErrConflict", err)
	}
	if b, _ := s.Read(ctx, "/p.js"); string(b) != "newer" {
		t.Errorf("after a refused WriteIf the store holds %q", b)
	}
	cur, _ := s.Revision(ctx, "/p.js")
	r3, err := s.WriteIf(ctx, "/p.js", []byte("mine"), cur)
	if err != nil || r3 <= cur {
		t.Fatalf("WriteIf onto the current revision: %d, %v", r3, err)
	}
	if err := s.Delete(ctx, "/p.js"); err != nil {
		t.Fatal(err)
	}
	if rev, err := s.Revision(ctx, "/p.js"); err != nil || rev != 0 {
		t.Errorf("Revision of a deleted path: %d, %v", rev, err)
	}
	if _, err := s.WriteIf(ctx, "/p.js", []byte("back"), 0); err != nil {
		t.Errorf("WriteIf(0) onto a deleted path: %v", err)
	}
	if _, err := s.WriteIf(ctx, "/p.js/x.js", []byte("x"), 0); !errors.Is(err, vfs.ErrConflict) {
		t.Errorf("WriteIf under a file: %v, want ErrConflict", err)
	}
}
