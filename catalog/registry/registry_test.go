package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
)

var admin = access.With(context.Background(), access.System("test"))

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRegistryFilesInEveryFormatReadAlike(t *testing.T) {
	csv := "label_id,brand,model,level,issued,expires,status,models\n" +
		"CSA/300629/00042,Acme,AC-CAM-1,2,2026-06-30,2029-06-30,valid,AC-CAM-1S; AC CAM 1 PRO\n" +
		"CSA/300626/00077,Acme,AC-PLG-3,1,2023-06-30,2026-06-30,Revoked,\n"
	json := `[{"label_id":"CSA/300629/00042","brand":"Acme","model":"AC-CAM-1","level":2,"issued":"2026-06-30","expires":"2029-06-30","status":"valid","models":"AC-CAM-1S; AC CAM 1 PRO"},
		{"label_id":"CSA/300626/00077","brand":"Acme","model":"AC-PLG-3","level":"1","issued":"2023-06-30","expires":"2026-06-30","status":"revoked"}]`
	mapped := "Registration No.;Manufacturer;Model;Level;Valid until;Status\n" +
		"CSA/300629/00042;Acme;AC-CAM-1;2;2029-06-30;valid\nCSA/300626/00077;Acme;AC-PLG-3;1;2026-06-30;revoked\n"
	xlsxPath := filepath.Join(t.TempDir(), "sg.xlsx")
	f := excelize.NewFile()
	for r, row := range [][]any{{"label_id", "brand", "model", "level", "expires", "status"},
		{"CSA/300629/00042", "Acme", "AC-CAM-1", 2, 47299, "valid"}, // an Excel date cell: 2029-06-30
		{"CSA/300626/00077", "Acme", "AC-PLG-3", 1, "2026-06-30", "revoked"}} {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		f.SetSheetRow("Sheet1", cell, &row)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14}) // a number cell is a date only in a date format
	f.SetCellStyle("Sheet1", "E2", "E2", dateStyle)
	f.SaveAs(xlsxPath)
	m, err := registry.ParseMapping("label_id=Registration No., brand=Manufacturer, expires=Valid until")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		path string
		m    registry.Mapping
	}{
		"csv":            {write(t, "sg.csv", csv), nil},
		"json":           {write(t, "sg.json", json), nil},
		"mapped columns": {write(t, "sg.txt", mapped), m},
		"xlsx":           {xlsxPath, nil},
	}
	for name, c := range cases {
		entries, err := registry.ReadFile(c.path, "SG-CLS", c.m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(entries) != 2 || entries[0].Expires.String() != "2029-06-30" || entries[0].Level != "2" || entries[1].Status != "revoked" || entries[0].LabelKey != "csa/300629/00042" {
			t.Fatalf("%s: %+v", name, entries)
		}
	}
}

func TestABadRowRefusesTheWholeFile(t *testing.T) {
	cases := map[string]string{
		"unknown status":     "label_id,brand,model,status\nA-1,Acme,M,valid\nA-2,Acme,M2,active\n",
		"missing model":      "label_id,brand,model,status\nA-1,Acme,,valid\n",
		"bad date":           "label_id,brand,model,status,expires\nA-1,Acme,M,valid,31/12/2027\n",
		"duplicate label":    "label_id,brand,model,status\nA-1,Acme,M,valid\na-1 ,Acme,M2,valid\n",
		"other scheme's row": "scheme,label_id,brand,model,status\nDE-BSI,A-1,Acme,M,valid\n",
		"missing column":     "label_id,brand,status\nA-1,Acme,valid\n",
		"empty":              "label_id,brand,model,status\n",
		"garbage JSON":       `{"entries": 12}`,
		"binary":             "\x00\x01\x02\x03",
	}
	for name, content := range cases {
		_, err := registry.ReadFile(write(t, "r.csv", content), "SG-CLS", nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSnapshotsAreHashedAndDiffedAgainstThePreviousOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		store := registry.NewStore(db)
		imp := func(content string) registry.Snapshot {
			entries, err := registry.ReadFile(write(t, "r.csv", content), "SG-CLS", nil)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := store.Import(admin, registry.NewSnapshot{Scheme: "SG-CLS", Source: "r.csv", Entries: entries})
			if err != nil {
				t.Fatal(err)
			}
			return snap
		}
		first := imp("label_id,brand,model,level,expires,status\n" +
			"L-KEEP,Acme,M1,2,2030-01-01,valid\nL-CHANGE,Acme,M2,1,2030-01-01,valid\nL-REVOKE,Acme,M3,2,2030-01-01,valid\n" +
			"L-GONE,Acme,M4,2,2030-01-01,valid\nL-EXPIRE,Acme,M5,2,2030-01-01,valid\n")
		if first.Added != 5 || first.PreviousID != nil || len(first.SHA256) != 64 {
			t.Fatalf("first %+v", first)
		}
		second := imp("label_id,brand,model,level,expires,status\n" +
			"L-KEEP,Acme,M1,2,2030-01-01,valid\nL-CHANGE,Acme,M2,3,2030-01-01,valid\nL-REVOKE,Acme,M3,2,2030-01-01,revoked\n" +
			"L-EXPIRE,Acme,M5,2,2020-01-01,valid\nL-NEW,Acme,M6,1,2030-01-01,valid\n")
		d := second.Diff
		got := strings.Join([]string{strings.Join(d.Added, ","), strings.Join(d.Changed, ","), strings.Join(d.Revoked, ","), strings.Join(d.Expired, ",")}, " | ")
		if got != "L-NEW | L-CHANGE | L-GONE,L-REVOKE | L-EXPIRE" || *second.PreviousID != first.ID {
			t.Fatalf("diff %q", got)
		}
		// The same content in another order hashes the same.
		third := imp("label_id,brand,model,level,expires,status\n" +
			"L-NEW,Acme,M6,1,2030-01-01,valid\nL-EXPIRE,Acme,M5,2,2020-01-01,valid\nL-REVOKE,Acme,M3,2,2030-01-01,revoked\n" +
			"L-CHANGE,Acme,M2,3,2030-01-01,valid\nL-KEEP,Acme,M1,2,2030-01-01,valid\n")
		if third.SHA256 != second.SHA256 || third.Added+third.Changed+third.Revoked+third.Expired != 0 {
			t.Fatalf("third %+v", third)
		}
		back, err := store.Snapshot(admin, second.ID)
		if err != nil || back.Revoked != 2 || len(back.Diff.Revoked) != 2 || back.Scheme != "SG-CLS" {
			t.Fatalf("stored snapshot %+v %v", back, err)
		}
		// Snapshots are immutable: the database refuses nothing here, but no API
		// changes them, and the audit log records each one.
		var n int64
		db.Table("audit_entries").Where("action = 'registry.snapshot'").Count(&n)
		if n != 3 {
			t.Fatalf("%d audit entries", n)
		}
	})
}

func TestOnlyAdminsImportSnapshotsOfKnownSchemes(t *testing.T) {
	db := dbtest.SQLite(t)
	store := registry.NewStore(db)
	manager := access.With(context.Background(), access.Principal{UserID: 1, Role: access.CategoryManager})
	e := []registry.Entry{{LabelID: "X", LabelKey: "x", Brand: "A", Model: "M", Status: "valid"}}
	if _, err := store.Import(manager, registry.NewSnapshot{Scheme: "SG-CLS", Entries: e}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("manager: %v", err)
	}
	if _, err := store.Import(admin, registry.NewSnapshot{Scheme: "JP-STAR", Entries: e}); errs.CodeOf(err) != "UNKNOWN_SCHEME" {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestSamplesCoverEveryScheme(t *testing.T) {
	s := registry.Samples()
	for _, scheme := range []string{"SG-CLS", "FI-TRAFICOM", "DE-BSI", "KR-CIC", "US-CTM"} {
		path := write(t, scheme+".csv", string(s[scheme]))
		entries, err := registry.ReadFile(path, scheme, nil)
		if err != nil || len(entries) == 0 {
			t.Errorf("%s: %v", scheme, err)
		}
		for _, e := range entries {
			if !strings.Contains(e.URL, ".invalid") {
				t.Errorf("%s: sample %s links to a real address %s", scheme, e.LabelID, e.URL)
			}
		}
	}
}

func TestARegistryNumberCellIsADateOnlyInADateFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sg.xlsx")
	f := excelize.NewFile()
	for r, row := range [][]any{{"label_id", "brand", "model", "level", "expires", "status"},
		{"CSA/300629/00042", "Acme", "AC-CAM-1", 2, 47299, "valid"}} { // General: the number 47299
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		f.SetSheetRow("Sheet1", cell, &row)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	entries, err := registry.ReadFile(path, "SG-CLS", nil)
	if err == nil || !strings.Contains(err.Error(), `"47299" is not a date`) {
		t.Fatalf("entries %+v, err %v; want the expires cell refused", entries, err)
	}
}
