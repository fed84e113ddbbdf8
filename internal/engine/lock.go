package engine

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// realmLock is a mutex that a waiter can stop waiting for. A channel of one
// slot does that too, but it hands the slot straight to the goroutine that
// waited longest, which is asleep: every call then pays a goroutine switch,
// and two goroutines calling got about 40% fewer calls done than one. Here the
// goroutine that runs takes the lock (as sync.Mutex lets it), a waiter spins
// briefly before it sleeps, and an unlock wakes one sleeper to try again.
// A sleeper that has waited starveAfter stops the running goroutines from
// barging in until a sleeper gets the lock, so every waiter gets its turn
// (as sync.Mutex's starvation mode does).
type realmLock struct {
	// The lock is the stateHeld bit of the realm's watchdog state, so
	// that Realm.Call takes the realm and arms its run in one operation.
	state    *atomic.Uint64
	starving atomic.Int32 // sleepers that waited longer than starveAfter
	waiters  atomic.Int32
	wake     chan struct{} // one token: "the lock was released, try again"
}

const starveAfter = time.Millisecond

func newRealmLock(state *atomic.Uint64) realmLock {
	return realmLock{state: state, wake: make(chan struct{}, 1)}
}

func (l *realmLock) tryLock() bool {
	if l.state.Load()&stateHeld != 0 {
		return false // no locked operation for a lock that is taken
	}
	return l.state.Or(stateHeld)&stateHeld == 0
}

// lock takes the lock, or returns ctx's error or ErrClosed when ctx ends or
// closed is closed first.
func (l *realmLock) lock(ctx context.Context, closed <-chan struct{}) error {
	if l.starving.Load() == 0 && l.tryLock() {
		return nil
	}
	// A call holds the realm for about a microsecond: yielding a few times
	// usually finds it free without sleeping.
	for range 4 {
		runtime.Gosched()
		if l.starving.Load() == 0 && l.tryLock() {
			return nil
		}
	}
	// Counted before the last try, so an unlock after that try sees a
	// waiter and leaves a token.
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	var starve <-chan time.Time
	starving := false
	defer func() {
		if starving {
			l.starving.Add(-1)
		}
	}()
	timer := time.NewTimer(starveAfter)
	defer timer.Stop()
	starve = timer.C
	for {
		if l.tryLock() {
			return nil
		}
		select {
		case <-l.wake:
		case <-starve:
			starving, starve = true, nil
			l.starving.Add(1)
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return ErrClosed
		}
	}
}

func (l *realmLock) unlock() {
	l.state.And(^uint64(stateHeld))
	l.wakeOne()
}

// wakeOne lets a sleeper try again, if there is one.
func (l *realmLock) wakeOne() {
	if l.waiters.Load() > 0 {
		select {
		case l.wake <- struct{}{}:
		default: // a token is there already: a waiter will try
		}
	}
}

// lockBehind takes the lock after the goroutines sleeping on it now. The
// timer scheduler calls it when it has just let the lock go for them: with
// lock it would take the lock straight back (it is running, they are still
// waking), and a call would wait until the timers ran out of work or it
// starved. It waits for a wake token as a sleeper does, then takes the lock
// as lock does; it waits at most starveAfter for the token, because a
// sleeper whose context ended takes no turn and so never unlocks to pass
// one on.
func (l *realmLock) lockBehind(closed <-chan struct{}) error {
	if l.waiters.Load() > 0 {
		l.waiters.Add(1)
		t := time.NewTimer(starveAfter)
		select {
		case <-l.wake:
		case <-t.C:
		case <-closed:
		}
		t.Stop()
		l.waiters.Add(-1)
	}
	return l.lock(context.Background(), closed)
}
