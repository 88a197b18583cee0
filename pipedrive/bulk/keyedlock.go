package bulk

import "sync"

// keyedLocks hands out one read-write lock per key, kept only while someone holds or
// waits for it, so that a run over many items keeps no lock per item.
type keyedLocks[K comparable] struct {
	mu sync.Mutex
	m  map[K]*keyedLock
}

type keyedLock struct {
	sync.RWMutex
	refs int
}

// acquire returns key's lock, counted as in use until release.
func (k *keyedLocks[K]) acquire(key K) *keyedLock {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[K]*keyedLock)
	}
	l := k.m[key]
	if l == nil {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.refs++
	return l
}

// release drops a holder of key's lock, forgetting the lock when none is left.
func (k *keyedLocks[K]) release(key K, l *keyedLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(k.m, key)
	}
}

// lock takes key's lock for writing; the returned func unlocks it.
func (k *keyedLocks[K]) lock(key K) (unlock func()) {
	l := k.acquire(key)
	l.Lock()
	return func() { l.Unlock(); k.release(key, l) }
}

// rlock takes key's lock for reading; the returned func unlocks it.
func (k *keyedLocks[K]) rlock(key K) (unlock func()) {
	l := k.acquire(key)
	l.RLock()
	return func() { l.RUnlock(); k.release(key, l) }
}
