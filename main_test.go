package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cascade into dir, as `make build` does.
func buildBinary(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "cascade")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestServeDemoStartsSignsInAndShutsDownOnSIGTERM runs the real binary the
// way `make run` does: a fresh SQLite file, --demo, printed logins that work,
// and a clean exit on SIGTERM.
func TestServeDemoStartsSignsInAndShutsDownOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "data", "cascade.db"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // already exited when the test passes

	logins := map[string]string{}
	url := ""
	sc := bufio.NewScanner(stdout)
	loginLine := regexp.MustCompile(`^\s+(\w+)\s+(\S+@\S+)\s+(\S+)`)
	deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() }) //nolint:errcheck
	for sc.Scan() {
		line := sc.Text()
		if m := loginLine.FindStringSubmatch(line); m != nil {
			logins[m[1]+" "+m[2]] = m[3]
		}
		if _, after, ok := strings.Cut(line, "listening on "); ok {
			url = strings.Fields(after)[0]
			break
		}
	}
	deadline.Stop()
	go io.Copy(io.Discard, stdout) //nolint:errcheck
	if url == "" {
		t.Fatalf("no listening line; stderr:\n%s", stderr.String())
	}
	pw := logins["category_manager manager@demo.cascade.test"]
	if pw == "" || len(logins) < 6 {
		t.Fatalf("demo logins not printed: %v", logins)
	}

	resp, err := http.Get(url + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	body, _ := json.Marshal(map[string]string{"email": "manager@demo.cascade.test", "password": pw})
	resp, err = http.Post(url+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("demo login: %v %v", resp.Status, err)
	}
	resp.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no exit within 25 s of SIGTERM")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Fatalf("no graceful shutdown logged:\n%s", stderr.String())
	}
	// At start the server logs the audit chain's head, to be kept outside the database.
	if !regexp.MustCompile(`"msg":"audit checkpoint","checkpoint":\{"seq":[1-9]\d*,"hash":"[0-9a-f]{64}","at":"[^"]+","hmac":null\}`).MatchString(stderr.String()) {
		t.Fatalf("no audit checkpoint logged:\n%s", stderr.String())
	}
}
