package hotmod_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// TC39 decorators, `accessor` fields and `using`/`await using` are not
// in goja (nor in Node 20): esbuild lowers them. The answer is recorded;
// where node is on PATH the test recomputes it by running esbuild's
// ES2022 output (which lowers the same syntax) under Node.
// tsc 5.6 (target es2022) gives the same answer under Node 20.
func TestTC39DecoratorsAccessorAndUsing(t *testing.T) {
	src := `const log: string[] = []
function logged(value: any, ctx: ClassMethodDecoratorContext | ClassAccessorDecoratorContext): any {
  log.push('decorate ' + ctx.kind + ' ' + String(ctx.name))
  if (ctx.kind === 'method') return function (this: any, ...args: any[]) { log.push('call ' + String(ctx.name)); return value.apply(this, args) }
  if (ctx.kind === 'accessor') return { set(this: any, v: number) { log.push('set ' + v); value.set.call(this, v * 10) } }
}
class C {
  @logged m(x: number) { return x + 1 }
  @logged accessor x = 5
  accessor y = 7
}
function res(name: string) { return { [Symbol.dispose]() { log.push('dispose ' + name) } } }
function ares(name: string) { return { async [Symbol.asyncDispose]() { await null; log.push('async dispose ' + name) } } }
export async function run() {
  const c = new C()
  log.push('m ' + c.m(1))
  c.x = 6
  log.push('x ' + c.x + ' y ' + c.y)
  {
    using a = res('a')
    using b = res('b')
    log.push('block')
  }
  try {
    using c2 = res('c')
    throw new Error('boom')
  } catch (e: any) { log.push('caught ' + e.message) }
  {
    await using d = ares('d')
    using e = res('e')
    log.push('async block')
  }
  log.push(typeof Symbol.dispose + ' ' + typeof Symbol.asyncDispose)
  return log
}
`
	want := `["decorate method m","decorate accessor x","call m","m 2","set 6","x 60 y 7","block","dispose b","dispose a","dispose c","caught boom","async block","dispose e","async dispose d","symbol symbol"]`
	if bin, err := exec.LookPath("node"); err == nil {
		out := api.Transform(src, api.TransformOptions{Loader: api.LoaderTS, Format: api.FormatESModule, Target: api.ES2022})
		if len(out.Errors) > 0 {
			t.Fatal(out.Errors)
		}
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "main.mjs"), out.Code, 0o644)
		runner := "import { run } from './main.mjs'\nconsole.log(JSON.stringify(await run()))\n"
		_ = os.WriteFile(filepath.Join(dir, "runner.mjs"), []byte(runner), 0o644)
		b, err := exec.Command(bin, filepath.Join(dir, "runner.mjs")).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, b)
		}
		if got := strings.TrimSpace(string(b)); got != want {
			t.Errorf("the recorded answer %s is not Node's %s: update it", want, got)
			want = got
		}
	}
	e := newEnv(t, map[string]string{"/main.ts": src})
	if got := callJSON(t, e, e.create("main", "/main.ts")); got != want {
		t.Fatalf("hotmod: %s, Node: %s", got, want)
	}
}
