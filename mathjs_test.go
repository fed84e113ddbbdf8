package hotmod_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// mathjs@15.2.0 is 2,500 files: it failed under the default LoadTimeout
// (18.7 s cold) when LoadTimeout bounded the evaluation of the whole import
// graph. It bounds each module's own evaluation now, so mathjs loads with
// the default Options and gives Node's answers (recorded from Node 20).
// Under the race detector goja runs five to ten times slower than in
// production: .ci/run runs this test in its own step without it.
func TestMathJSLoadsUnderDefaultBounds(t *testing.T) {
	if raceEnabled {
		t.Skip("timed against the default bounds: .ci/run runs it without -race")
	}
	root := npmtest.Install(t, "mathjs@15.2.0")
	e := newEnv(t, nil, func(o *hotmod.Options) { o.Store = vfs.NewMem() })
	e.copyPackages(root)
	e.write("/app.mjs", "import { evaluate, sqrt } from 'mathjs'\nexport const run = () => [evaluate('12.7 cm to inch').toString(), sqrt(-4).toString(), evaluate('det([1,2;3,4])')]")
	start := time.Now()
	m, err := e.rt.CreateModule(e.ctx, "app", "/app.mjs")
	if err != nil {
		t.Fatalf("mathjs does not load under the default LoadTimeout: %v", err)
	}
	t.Logf("mathjs loaded in %v (%d modules)", time.Since(start), len(e.rt.Stats().Modules))
	got, err := json.Marshal(e.call(m, "run"))
	if err != nil || string(got) != `["5 inch","2i",-2]` {
		t.Errorf("run() = %s %v, Node gives [\"5 inch\",\"2i\",-2]", got, err)
	}
}
