package database

import (
	"path/filepath"
	"testing"
)

// Close stops the checkpointer, and waits for it, before it closes the
// connections: nothing of the database's keeps running, or touches a file
// the caller may remove next.
func TestCloseStopsTheCheckpointer(t *testing.T) {
	db, err := Connect(filepath.Join(t.TempDir(), "close.db"))
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := checkpointers.Load(sqlDB)
	if !ok {
		t.Fatal("Connect started no checkpointer")
	}
	Close(db)
	select {
	case <-v.(*checkpointer).done:
	default:
		t.Fatal("the checkpointer is still running after Close returned")
	}
	if _, ok := checkpointers.Load(sqlDB); ok {
		t.Fatal("Close left the checkpointer registered")
	}
	if err := sqlDB.Ping(); err == nil {
		t.Fatal("the closed database still answers")
	}
}
