package fs

import "testing"

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"":              "/",
		"/":             "/",
		"a/b":           "/a/b",
		"/tmp/f":        "/tmp/f",
		"//tmp//f/":     "/tmp/f",
		"/tmp/./f/.":    "/tmp/f",
		"/a/b/../../..": "/",
		"/a/../b/c/..":  "/b",
		"/..":           "/",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
