// A stateful module: its count and per-caller tallies survive every edit.
export let count = 0
export const byCaller = new Map()

export function increment(caller = 'anonymous', by = 1) {
  count += by
  byCaller.set(caller, (byCaller.get(caller) ?? 0) + by)
  return { count, caller, calls: byCaller.get(caller) }
}

export function top() {
  return [...byCaller.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)
}

// Runs on the new version before it takes over: carry the state across.
export function __acceptHotReload(old) {
  count = old.count
  for (const [caller, n] of old.byCaller) byCaller.set(caller, n)
}
