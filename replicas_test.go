package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
)

// replica is one `cascade serve` process.
type replica struct {
	cmd *exec.Cmd
	url string
	log *logBuffer
}

// logBuffer collects a process's log while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startReplica starts `cascade serve` with the nightly re-evaluation due
// every second, so that two replicas contend for it all the time.
func startReplica(t testing.TB, bin, dsn string) *replica {
	t.Helper()
	return startServe(t, bin, dsn, "--nightly", "@every 1s")
}

// startServe starts `cascade serve` on dsn with extra flags, on a free
// port, and returns once it listens; the process is killed when t ends.
func startServe(t testing.TB, bin, dsn string, flags ...string) *replica {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, flags...)...)
	cmd.Env = append(os.Environ(), "CASCADE_ADMIN_PASSWORD=bootstrap password long")
	out, _ := cmd.StdoutPipe()
	logs := &logBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, out)
			return &replica{cmd: cmd, url: strings.Fields(after)[0], log: logs}
		}
	}
	t.Fatalf("cascade serve did not start:\n%s", logs.String())
	return nil
}

// call sends one request, with a bearer token unless token is empty, and
// decodes the JSON answer.
func call(t testing.TB, method, url, token, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestTwoReplicasShareOnePostgreSQL runs two `cascade serve` processes on one
// PostgreSQL database: both serve reads and writes, the nightly job (due
// every second on both) runs once for the night, and killing the replica
// that runs an import loses nothing: the batch is failed, the catalogue is
// as it was, and the other replica imports the file again.
func TestTwoReplicasShareOnePostgreSQL(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	run := func(args ...string) string {
		out, err := exec.Command(bin, append([]string{"--db", dsn}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("supplier", "add", "Acme")
	run("user", "add", "--email", "ops@acme.example", "--role", "admin")
	token := strings.TrimSpace(strings.Split(run("token", "create", "--user", "ops@acme.example", "--name", "replicas"), "\n")[0])

	a, b := startReplica(t, bin, dsn), startReplica(t, bin, dsn)
	if code, _ := call(t, "POST", a.url+"/api/v1/suppliers", token, "application/json", []byte(`{"name":"Written via A"}`)); code != 201 {
		t.Fatalf("write via A: %d", code)
	}
	if code, body := call(t, "GET", b.url+"/api/v1/suppliers", token, "", nil); code != 200 || !strings.Contains(fmt.Sprint(body), "Written via A") {
		t.Fatalf("read via B: %d %v", code, body)
	}

	// Both replicas fire the nightly job every second; one night, one run.
	const ran, skipped = `"msg":"nightly re-evaluation"`, `"msg":"nightly re-evaluation skipped: another replica runs it"`
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if strings.Count(a.log.String(), skipped) >= 3 && strings.Count(b.log.String(), skipped) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas did not keep firing the nightly job:\nA: %s\nB: %s", a.log, b.log)
		}
	}
	if n := strings.Count(a.log.String(), ran) + strings.Count(b.log.String(), ran); n != 1 {
		t.Fatalf("the nightly re-evaluation ran %d times across the replicas, want once:\nA: %s\nB: %s", n, a.log, b.log)
	}
	db, err := database.Connect(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	var runs []struct{ Slot, Replica, Outcome string }
	db.Raw("SELECT slot, replica, outcome FROM job_runs WHERE job = 'nightly'").Scan(&runs)
	if len(runs) != 1 || runs[0].Slot != time.Now().UTC().Format("2006-01-02") || runs[0].Outcome != "ok" {
		t.Fatalf("job_runs for the nightly job: %+v, want one run for today that succeeded", runs)
	}

	// A small first import, then a large one that A is killed in the middle of.
	small := "sku,gtin,brand,model,category,markets\nKEEP,4006381333931,Acme,M,smart_plug,UK\n"
	if code, body := call(t, "POST", b.url+"/api/v1/imports?wait=true&supplier_id=1", token, "text/csv", []byte(small)); code != 201 {
		t.Fatalf("small import via B: %d %v", code, body)
	}
	var big bytes.Buffer
	big.WriteString("sku,gtin,brand,model,category,markets\n")
	for i := range 60_000 {
		body := fmt.Sprintf("7%012d", i)
		fmt.Fprintf(&big, "BIG-%d,%s%c,Acme,M-%d,smart_plug,UK EU\n", i, body, catalog.GTINCheckDigit(body), i)
	}
	code, body := call(t, "POST", a.url+"/api/v1/imports?supplier_id=1", token, "text/csv", big.Bytes())
	if code != 202 {
		t.Fatalf("big import via A: %d %v", code, body)
	}
	id := int(body["import"].(map[string]any)["id"].(float64))
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, st := call(t, "GET", fmt.Sprintf("%s/api/v1/imports/%d", b.url, id), token, "", nil)
		batch := st["import"].(map[string]any)
		if batch["status"] == "running" && batch["rows_processed"].(float64) >= 5000 {
			break // B sees A's progress: it lives in the database
		}
		if batch["status"] != "running" || time.Now().After(deadline) {
			t.Fatalf("the import never got under way on A: %v", batch)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()

	if _, list := call(t, "GET", b.url+"/api/v1/products?limit=1000", token, "", nil); len(list["items"].([]any)) != 1 {
		t.Fatalf("the killed import changed the catalogue: %d products", len(list["items"].([]any)))
	}
	// Retried on B: the dead replica's batch is failed, and the file imports.
	code, body = call(t, "POST", b.url+"/api/v1/imports?wait=true&supplier_id=1", token, "text/csv", big.Bytes())
	if code != 201 || body["import"].(map[string]any)["rows_created"].(float64) != 60_000 {
		t.Fatalf("retry via B: %d %v", code, body)
	}
	_, st := call(t, "GET", fmt.Sprintf("%s/api/v1/imports/%d", b.url, id), token, "", nil)
	if batch := st["import"].(map[string]any); batch["status"] != "failed" || !strings.Contains(batch["error"].(string), "INTERRUPTED") {
		t.Fatalf("the killed batch: %v", batch)
	}
}
