package imports_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// buildCascade compiles the real binary once per test binary run.
func buildCascade(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cascade")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cascade-gate/cascade").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// writeBigCSV writes n valid product rows.
func writeBigCSV(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(header)
	for i := range n {
		fmt.Fprintf(w, "BIG-%d,%s,Acme,M-%d,smart_plug,UK EU,unique_per_device,https://acme.example/s,2029-06-30,\n", i, gtinFor(i), i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// gtinFor makes a distinct valid GTIN-13 for i.
func gtinFor(i int) string {
	body := fmt.Sprintf("20%010d", i)
	sum := 0
	for j, c := range body {
		d := int(c - '0')
		if j%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// TestKillingTheImportProcessLeavesThePreviousState kills a real `cascade
// import` child process in the middle of a large file, then checks that the
// catalogue is as it was and that the next start marks the batch failed.
func TestKillingTheImportProcessLeavesThePreviousState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	bin := buildCascade(t)
	big := writeBigCSV(t, 300_000)
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		e := newEnv(t, db)
		e.mustImport(header + "KEEP,4006381333931,Acme,M1,smart_plug,UK,,,2029-01-31,\n")

		tmp := t.TempDir() // the import process's temporary folder
		cmd := exec.Command(bin, "--db", dsn, "import", "--supplier", e.supplier.Name, big)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		var processed int
		for time.Now().Before(deadline) {
			db.Raw("SELECT COALESCE(MAX(rows_processed), 0) FROM import_batches WHERE status = 'running'").Scan(&processed)
			if processed >= 5000 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if processed < 5000 {
			cmd.Process.Kill()
			t.Fatalf("the import never got going (rows_processed %d)", processed)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		if p := e.products(); len(p) != 1 || p["KEEP"].SupportEnd.String() != "2029-01-31" {
			t.Fatalf("the killed import changed the catalogue: %d products", len(p))
		}
		// Its staging was in temporary tables: nothing of it outlives the process.
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("the killed import left %d files in its temporary folder", len(left))
		}
		// The next start of cascade marks the abandoned batch failed and imports again.
		small := filepath.Join(t.TempDir(), "small.csv")
		os.WriteFile(small, []byte(header+"NEW,5901234123457,Acme,M2,smart_plug,UK,,,,\n"), 0o600)
		next := exec.Command(bin, "--db", dsn, "import", "--supplier", e.supplier.Name, small)
		next.Env = cmd.Env
		out, err := next.CombinedOutput()
		if err != nil {
			t.Fatalf("next import: %v\n%s", err, out)
		}
		var status, msg string
		db.Raw("SELECT status, error FROM import_batches WHERE file_name = 'big.csv'").Row().Scan(&status, &msg)
		if status != "failed" || !strings.Contains(msg, "INTERRUPTED") {
			t.Fatalf("killed batch is %q (%s)", status, msg)
		}
		if p := e.products(); len(p) != 2 {
			t.Fatalf("%d products after the next import, want 2", len(p))
		}
	})
}
