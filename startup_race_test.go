package main_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestReplicasStartedTogetherOnEmptySchemasAllBecomeReady starts 16 pairs of
// real `cascade serve` processes at the same instant, each pair on its own
// empty PostgreSQL schema: both of every pair migrate the schema and
// bootstrap the admin at once. Every one of the 32 must become ready, and
// every schema must end with exactly one admin. When schema_migrations was
// created before the migration lock was taken, about a quarter of the pairs
// lost a replica to "create schema_migrations: … SQLSTATE 23505".
func TestReplicasStartedTogetherOnEmptySchemasAllBecomeReady(t *testing.T) {
	const pairs = 16
	dsns := dbtest.PostgresDSNs(t, pairs)
	bin := buildBinary(t, t.TempDir())

	type outcome struct {
		replica int
		err     error
	}
	var cmds []*exec.Cmd
	var logs []*logBuffer
	for i := range 2 * pairs {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsns[i/2])
		cmd.Env = append(os.Environ(), "CASCADE_ADMIN_PASSWORD=bootstrap password long")
		log := &logBuffer{}
		cmd.Stderr = log
		cmds, logs = append(cmds, cmd), append(logs, log)
	}
	outcomes := make(chan outcome, len(cmds))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, cmd := range cmds {
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := cmd.Start(); err != nil {
				outcomes <- outcome{i, err}
				return
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }() // ready is all this test needs of it
			outcomes <- outcome{i, waitReady(out, 45*time.Second)}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		if o.err != nil {
			t.Errorf("replica %d of schema %d did not become ready: %v\n%s", o.replica, o.replica/2, o.err, logs[o.replica])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d replicas on %d empty schemas ready in %v", len(cmds), pairs, time.Since(began).Round(time.Millisecond))

	for i, dsn := range dsns {
		db, err := database.Connect(dsn)
		if err != nil {
			t.Fatal(err)
		}
		var admins int64
		err = db.Table("users").Where("role = 'admin'").Count(&admins).Error
		database.Close(db)
		if err != nil || admins != 1 {
			t.Errorf("schema %d has %d admins (%v), want exactly one", i, admins, err)
		}
	}
}

// waitReady reads a starting `cascade serve`'s standard output until it
// says where it listens, then polls /readyz until it answers 200.
func waitReady(stdout io.Reader, within time.Duration) error {
	deadline := time.Now().Add(within)
	sc := bufio.NewScanner(stdout)
	url := ""
	for url == "" && sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
			url = strings.Fields(after)[0]
		}
	}
	if url == "" {
		return fmt.Errorf("it exited before listening")
	}
	go io.Copy(io.Discard, stdout) //nolint:errcheck
	for {
		resp, err := http.Get(url + "/readyz")
		last := fmt.Sprint(err)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz at %s did not answer 200 within %v (last: %s)", url, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
