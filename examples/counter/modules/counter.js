// A stateful module. Run `go run ./examples/counter` and edit this file:
// change the message, save, and watch the count carry on where it was.

export let count = 0
export const byCaller = new Map()

export function increment(caller) {
  count += 1
  byCaller.set(caller, (byCaller.get(caller) ?? 0) + 1)
  return { count, calls: byCaller.get(caller), message: `hello ${caller}` }
}

// Runs on the new version before it takes over: carry the state across.
export function __acceptHotReload(old) {
  count = old.count
  for (const [caller, n] of old.byCaller) byCaller.set(caller, n)
}
