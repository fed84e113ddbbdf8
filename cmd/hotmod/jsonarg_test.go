package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCallArgumentThatLooksLikeJSON: a value that starts like JSON but is
// not is refused before anything is sent, naming the argument and the
// position; plain words are still strings.
func TestCallArgumentThatLooksLikeJSON(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"result": 1}`))
	}))
	defer srv.Close()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"call", "m", "f", "alice", `[{"a":1},]`}, []string{"argument 2", "is not valid JSON", "column 10", `after [{"a":1},`}},
		{[]string{"call", "m", "f", `{"a":1`}, []string{"argument 1", "column 7", "ends before"}},
		{[]string{"call", "m", "f", `"unterminated`}, []string{"argument 1", "is not valid JSON"}},
		{[]string{"call", "m", "f", "[1,\n 2,\n x]"}, []string{"line 3 column 2"}},
		{[]string{"exec", "-", "--var", `order={"total": 12,}`}, []string{"--var order", "column 14"}},
	} {
		_, errOut, code := runCLI(t, srv.URL, "return 1", c.args...)
		if code == 0 {
			t.Errorf("%q: exit 0, want a refusal", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%q: %q does not say %q", c.args, errOut, w)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests were sent with a bad argument", n)
	}
	for _, args := range [][]string{
		{"call", "m", "f", "alice", "1.2.3", "[1,2]", `{"a":1}`, `"x"`, "5"},
		{"exec", "-", "--var", "name=bob", "--var", `o={"a":1}`},
	} {
		if _, errOut, code := runCLI(t, srv.URL, "return 1", args...); code != 0 {
			t.Errorf("%q: %s", args, errOut)
		}
	}
}

func TestJSONArgKeepsWordsAsStrings(t *testing.T) {
	for in, want := range map[string]string{"alice": `"alice"`, "1.2.3": `"1.2.3"`, "5": "5", `[1]`: "[1]", "": `""`} {
		got, err := jsonArg("argument 1", in)
		if err != nil || string(got) != want {
			t.Errorf("jsonArg(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}
