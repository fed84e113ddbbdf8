package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Goroutines that take the realm back to back must not starve one that
// waits: it gets its turn well within its deadline.
func TestRealmLockLetsWaitersIn(t *testing.T) {
	r := realm(t)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var hammered atomic.Int64
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := r.Lock(ctx); err != nil {
					return
				}
				hammered.Add(1)
				for i := 0; i < 2000; i++ { // hold it a little, as a call does
					_ = i
				}
				r.Unlock()
			}
		})
	}
	for i := range 200 {
		wctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.Lock(wctx)
		cancel()
		if err != nil {
			stop()
			wg.Wait()
			t.Fatalf("waiter %d did not get the realm within 1s while others took it %d times: %v", i, hammered.Load(), err)
		}
		r.Unlock()
	}
	stop()
	wg.Wait()
}

// A waiter stops waiting when its context ends or the realm closes, and
// the lock still works for the others after.
func TestRealmLockWaitEnds(t *testing.T) {
	r := New(Options{})
	if err := r.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait past its deadline: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Lock(context.Background()) }()
	go func() { _ = r.Close(context.Background(), 0, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("a wait when the realm closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter did not notice the realm closing")
	}
	r.Unlock()
}
