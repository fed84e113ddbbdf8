package hotmod

// CallRealmsInTurn makes rt's calls take its realms in turn, as they did
// before calls kept to the realm their P used last: a test that must reach
// every realm from one goroutine sets it before its first call. Without
// -race, sync.Pool keeps that realm for good, so such a test would see one
// realm only (with -race, the pool drops a quarter of what it is given).
func CallRealmsInTurn(rt *Runtime) { rt.inTurn.Store(true) }
