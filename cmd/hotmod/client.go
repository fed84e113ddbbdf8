package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/hotmod/hotmod/server"
)

// client talks to a running server's API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// apiErr is an error response, with the server's code.
type apiErr struct {
	status    int
	body      server.ErrorBody
	sentToken bool // the request carried a token
}

func (e *apiErr) Error() string {
	msg := e.body.Error.Message
	if p := e.body.Error.Position; p != nil && !strings.Contains(msg, fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)) {
		msg += fmt.Sprintf(" at %s:%d:%d", p.File, p.Line, p.Column)
	}
	if e.status == http.StatusUnauthorized {
		if e.sentToken {
			msg += ": the token from --token or $HOTMOD_TOKEN is not the one the server was started with"
		} else {
			msg += ": pass the server's token with --token or $HOTMOD_TOKEN"
		}
	}
	return fmt.Sprintf("%s (%s)", msg, e.body.Error.Code)
}

func (c *client) request(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, unreachable(c.base, err)
	}
	if res.StatusCode >= 300 {
		defer res.Body.Close()
		e := &apiErr{status: res.StatusCode, sentToken: c.token != ""}
		if json.NewDecoder(res.Body).Decode(&e.body) != nil || e.body.Error.Code == "" {
			e.body.Error.Code, e.body.Error.Message = "http", res.Status
		}
		return nil, e
	}
	return res, nil
}

// do sends a JSON request (body may be nil) and decodes a JSON answer into
// out (which may be nil).
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil || method != http.MethodGet {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		if body == nil {
			b = []byte("{}")
		}
		rd = bytes.NewReader(b)
	}
	ct := ""
	if rd != nil {
		ct = "application/json"
	}
	res, err := c.request(ctx, method, path, rd, ct)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			// Printing the zero value would pass it off as the answer.
			return fmt.Errorf("the server's answer is empty (%s %s: %s)", method, path, res.Status)
		}
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	return nil
}

func modulePath(id string, rest string) string { return "/api/modules/" + url.PathEscape(id) + rest }

// filePath turns a store path into the API path of the file.
func filePath(prefix, p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return prefix + strings.Join(parts, "/")
}

// unreachable says why a request got no answer in one sentence: the
// transport's chain ("Get \"…\": dial tcp …: connect: connection refused")
// repeats the URL and the verb.
func unreachable(base string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("no hotmod server answers at %s (start one with `hotmod serve`, or pass --server or set $HOTMOD_SERVER)", base)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return fmt.Errorf("cannot reach the hotmod server at %s: %w", base, err)
}
