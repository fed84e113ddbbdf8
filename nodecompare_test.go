package hotmod_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// nodeCase is a JavaScript snippet and Node 20's answer to it. Tests run
// the snippet in hotmod and compare with Node: with Node itself when node
// is on PATH, else with the answer recorded here.
type nodeCase struct {
	name string
	// code is the body of an async function in the ES module /m/x.mjs;
	// what it returns is compared as JSON (a throw as "threw Name:
	// message").
	code string
	// recorded is Node 20's answer, as the harness prints it.
	recorded string
}

// nodeProgram is the module both engines run: every case, in order, each
// answer as JSON.
func nodeProgram(cases []nodeCase) string {
	var b strings.Builder
	b.WriteString("const __cases = [\n")
	for _, c := range cases {
		name, _ := json.Marshal(c.name)
		b.WriteString("  [" + string(name) + ", async () => {\n" + c.code + "\n  }],\n")
	}
	b.WriteString(`];
export const __answers = async () => {
  const out = {};
  for (const [name, f] of __cases) {
    try {
      const v = await f();
      out[name] = v === undefined ? 'undefined' : JSON.stringify(v);
    } catch (e) {
      out[name] = JSON.stringify('threw ' + (e && e.name) + ': ' + (e && e.message));
    }
  }
  return out;
};
`)
	return b.String()
}

// nodeAnswers is Node's answer to every case: from one node process when
// node is on PATH (with exactly env as its environment, in /), else the
// recorded answers (HOTMOD_NODE_RECORD=1 logs Node's answer to each case,
// for the table). When node is Node 20, an answer that differs from the
// recorded one fails the test: the table must say what Node says.
func nodeAnswers(t *testing.T, cases []nodeCase, env map[string]string) map[string]string {
	t.Helper()
	record := os.Getenv("HOTMOD_NODE_RECORD") != ""
	recorded := make(map[string]string, len(cases))
	for _, c := range cases {
		if c.recorded == "" && !record {
			t.Fatalf("case %q has no recorded answer (HOTMOD_NODE_RECORD=1 prints Node's)", c.name)
		}
		recorded[c.name] = c.recorded
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Logf("node is not on PATH: comparing with the recorded answers")
		return recorded
	}
	dir := t.TempDir()
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "m", "x.mjs")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	src := nodeProgram(cases) + "__answers().then(o => process.stdout.write(JSON.stringify(o)))\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, file)
	cmd.Dir = "/"
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	// The module is /m/x.mjs in hotmod's store: Node's answers name it so.
	out = []byte(strings.ReplaceAll(string(out), dir, ""))
	answers := map[string]string{}
	if err := json.Unmarshal(out, &answers); err != nil {
		t.Fatalf("node's answers: %v\n%s", err, out)
	}
	if record {
		for _, c := range cases {
			t.Logf("record %q: %s", c.name, "`"+answers[c.name]+"`")
		}
	}
	version, _ := exec.Command(node, "--version").Output()
	is20 := strings.HasPrefix(string(version), "v20.")
	for _, c := range cases {
		if answers[c.name] != c.recorded {
			if is20 {
				t.Errorf("case %q: recorded %s, but Node says %s", c.name, c.recorded, answers[c.name])
			} else {
				t.Logf("case %q: recorded (Node 20) %s, this Node (%s) says %s", c.name, c.recorded, strings.TrimSpace(string(version)), answers[c.name])
			}
		}
	}
	if !is20 {
		return recorded // another Node's answers are not the standard
	}
	return answers
}

// nodeAnswer is Node's answer to one snippet (see nodeCase).
func nodeAnswer(t *testing.T, code, recorded string) string {
	t.Helper()
	return nodeAnswers(t, []nodeCase{{name: "case", code: code, recorded: recorded}}, nil)["case"]
}

// hotmodAnswers runs nodeProgram(cases) as the module /m/x.mjs of a
// Runtime made with opts.
func hotmodAnswers(t *testing.T, cases []nodeCase, opts ...func(*hotmod.Options)) map[string]string {
	t.Helper()
	e := newEnv(t, map[string]string{"/m/x.mjs": nodeProgram(cases)}, opts...)
	m := e.create("x", "/m/x.mjs")
	v, err := m.Call(context.Background(), "__answers")
	if err != nil {
		t.Fatalf("running the cases: %v", err)
	}
	out := map[string]string{}
	for k, a := range v.(map[string]any) {
		out[k], _ = a.(string)
	}
	return out
}

// matchNode fails every case whose answer in hotmod (a Runtime made with
// opts) is not Node's (node run with env).
func matchNode(t *testing.T, cases []nodeCase, env map[string]string, opts ...func(*hotmod.Options)) {
	t.Helper()
	want := nodeAnswers(t, cases, env)
	got := hotmodAnswers(t, cases, opts...)
	for _, c := range cases {
		if got[c.name] != want[c.name] {
			t.Errorf("%s:\n%s\n  hotmod: %s\n  node:   %s", c.name, strings.TrimSpace(c.code), got[c.name], want[c.name])
		}
	}
}
