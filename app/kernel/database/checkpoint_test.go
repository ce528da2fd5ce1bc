package database_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// A commit does not copy the WAL into the database file itself (that is
// the request's time, issue #18): the checkpointer copies it soon after,
// and the data are in the database file without any further write.
func TestCommittedPagesReachTheDatabaseFileWithoutAWriterCheckpointing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db, err := database.Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	var backstop int
	if err := db.Raw("PRAGMA wal_autocheckpoint").Scan(&backstop).Error; err != nil {
		t.Fatal(err)
	}
	if backstop <= 1000 {
		t.Fatalf("wal_autocheckpoint = %d: a writer would still checkpoint every 1,000 pages", backstop)
	}
	if err := db.Exec("CREATE TABLE blobs (b BLOB)").Error; err != nil {
		t.Fatal(err)
	}
	// 8 MiB in one commit: 2,000 pages, past SQLite's default 1,000.
	if err := db.Exec("INSERT INTO blobs SELECT randomblob(8192) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1024) SELECT i FROM n)").Error; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= 8<<20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 10 s after an 8 MiB commit: nothing checkpointed the WAL", st.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
