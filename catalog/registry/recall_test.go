package registry_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog/registry"
)

var cpsc = registry.Scheme{Code: "US-CPSC", Kind: registry.KindRecalls}

func TestCPSCRecordsBecomeOneUSRecallEachWithTheirUPCsAsGTIN14(t *testing.T) {
	path := write(t, "cpsc.json", `[{"RecallID": 1, "RecallNumber": "27-001", "RecallDate": "2026-11-12T00:00:00",
		"Title": "T", "URL": "https://example.invalid/r", "Description": "ignored",
		"Products": [{"Name": "Plug", "Model": "BL-PLG-2, BL-PLG-2W", "Type": "Smart Plugs"}, {"Name": "Plug", "Model": "BL-PLG-3"}],
		"Manufacturers": [{"Name": "Brightlane"}, {"Name": "Brightlane Asia"}],
		"ProductUPCs": [{"UPC": "084123450010"}, {"UPC": "0 84123 45002 7"}, {"UPC": "not a upc"}, {"UPC": "084123450011"}],
		"Hazards": [{"Name": "Fire"}, {"Name": "Burns"}], "Remedies": [{"Name": "Refund"}]},
		{"RecallID": 2, "RecallDate": "2026-11-13", "Products": [], "Manufacturers": [], "ProductUPCs": [], "Hazards": []}]`)
	got, err := registry.ReadSource(path, cpsc, registry.FormatCPSC, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d entries, want one a record", len(got))
	}
	e := got[0]
	// A UPC's 12 digits (spaces dropped) become the GTIN-14; one that is no GTIN is left out.
	if e.LabelID != "27-001" || e.GTINs != "00084123450010;00084123450027" || e.Markets != "US" ||
		e.Brand != "Brightlane; Brightlane Asia" || e.Model != "BL-PLG-2" || e.Models != "BL-PLG-2W;BL-PLG-3" ||
		e.Hazard != "Fire; Burns" || e.Issued.String() != "2026-11-12" || e.Title != "T" || e.URL != "https://example.invalid/r" {
		t.Errorf("entry %+v", e)
	}
	if got[1].LabelID != "2" {
		t.Errorf("a record without RecallNumber is named by its RecallID: %+v", got[1])
	}
}

func TestBadRecallFilesAreRefusedWhole(t *testing.T) {
	cases := map[string]struct {
		name, format, body, want string
	}{
		"cpsc not records":      {"c.json", "cpsc", `{"RecallNumber": "1"}`, "UNREADABLE_REGISTRY"},
		"cpsc bad date":         {"c.json", "cpsc", `[{"RecallNumber": "1", "RecallDate": "last week"}]`, "UNREADABLE_REGISTRY"},
		"cpsc twice":            {"c.json", "cpsc", `[{"RecallNumber": "1", "RecallDate": "2026-01-01"}, {"RecallNumber": "1", "RecallDate": "2026-01-01"}]`, "UNREADABLE_REGISTRY"},
		"cpsc empty":            {"c.json", "cpsc", `[]`, "EMPTY_REGISTRY"},
		"canonical other list":  {"r.csv", "", "authority,recall_id,date,markets,gtin\nEU-SAFETY-GATE,1,2026-01-01,EU,084123450010\n", "UNREADABLE_REGISTRY"},
		"canonical bad gtin":    {"r.csv", "", "recall_id,date,markets,gtin\n1,2026-01-01,EU,084123450011\n", "UNREADABLE_REGISTRY"},
		"canonical no product":  {"r.csv", "", "recall_id,date,markets,brand\n1,2026-01-01,EU,Acme\n", "UNREADABLE_REGISTRY"},
		"canonical no markets":  {"r.csv", "", "recall_id,gtin\n1,084123450010\n", "UNREADABLE_REGISTRY"},
		"unknown format":        {"r.csv", "rapex", "recall_id,markets\n", "UNKNOWN_FORMAT"},
		"canonical same row x2": {"r.csv", "", "recall_id,markets,gtin\n1,US,084123450010\n1,US,084123450010\n", "UNREADABLE_REGISTRY"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := registry.ReadSource(write(t, c.name, c.body), cpsc, c.format, nil)
			if errs.CodeOf(err) != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
	if err := registry.CheckFormat(registry.KindLabels, registry.FormatCPSC); errs.CodeOf(err) != "UNKNOWN_FORMAT" {
		t.Errorf("a label registry has no CPSC reader: %v", err)
	}
}

func TestCanonicalRecallRowsReadAlikeFromCSVAndXLSX(t *testing.T) {
	csv := "authority,recall_id,date,markets,hazard,url,gtin,brand,model,title\n" +
		"us-cpsc,R-1,2026-11-20,\"us, uk\",Fire,https://x.invalid/1,084123450010,Brightlane,BL-PLG-2,Plug\n" +
		"US-CPSC,R-1,2026-11-20,US UK,Fire,https://x.invalid/1,,Brightlane,BL-PLG-3,Plug\n"
	xlsx := write(t, "r.xlsx", "")
	f := excelize.NewFile()
	for r, row := range [][]any{{"authority", "recall_id", "date", "markets", "hazard", "url", "gtin", "brand", "model", "title"},
		{"US-CPSC", "R-1", "2026-11-20", "US UK", "Fire", "https://x.invalid/1", "084123450010", "Brightlane", "BL-PLG-2", "Plug"},
		{"US-CPSC", "R-1", "2026-11-20", "US UK", "Fire", "https://x.invalid/1", "", "Brightlane", "BL-PLG-3", "Plug"}} {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		f.SetSheetRow("Sheet1", cell, &row)
	}
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	var results [][]registry.Entry
	for _, path := range []string{write(t, "r.csv", csv), xlsx} {
		got, err := registry.ReadSource(path, cpsc, "", nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		results = append(results, got)
	}
	for _, got := range results {
		if len(got) != 2 || got[0].Markets != "US UK" || got[0].GTINs != "00084123450010" || got[1].GTINs != "" || got[1].Model != "BL-PLG-3" {
			t.Errorf("entries %+v", got)
		}
	}
	if !slices.EqualFunc(results[0], results[1], func(a, b registry.Entry) bool { return a.LabelKey == b.LabelKey && a.Markets == b.Markets }) {
		t.Error("CSV and XLSX read differently")
	}
}

func TestRecallMatchingFollowsSpec3(t *testing.T) {
	e := registry.Entry{LabelID: "R", Brand: "Brightlane", Model: "BL-PLG-2", Models: "BL-PLG-3", GTINs: "00084123450010;00084123450027", Markets: "US"}
	noModel := registry.Entry{LabelID: "R", Brand: "Brightlane", GTINs: "00084123450010", Markets: "US"}
	gtinOnly := registry.Entry{LabelID: "R", GTINs: "00084123450010", Markets: "US"}
	cases := []struct {
		name               string
		entry              registry.Entry
		gtin, brand, model string
		want               string
	}{
		{"GTIN listed, brand and model agree after normalising", e, "00084123450010", "BRIGHTLANE", "bl plg 2", registry.RecallConfirmed},
		{"GTIN listed, another of the entry's models", e, "00084123450027", "Brightlane", "BL_PLG_3", registry.RecallConfirmed},
		{"GTIN listed, model disagrees", e, "00084123450010", "Brightlane", "BL-PLG-9", registry.RecallPossible},
		{"GTIN listed, brand disagrees", e, "00084123450010", "Other", "BL-PLG-2", registry.RecallPossible},
		{"brand and model, GTIN not listed", e, "00084123450065", "Brightlane", "BL-PLG-2", registry.RecallPossible},
		{"brand and model, product without GTIN", e, "", "Brightlane", "BL.PLG.2", registry.RecallPossible},
		{"entry names no model: brand alone decides", noModel, "00084123450010", "Brightlane", "anything", registry.RecallConfirmed},
		{"entry names only the GTIN", gtinOnly, "00084123450010", "Any", "thing", registry.RecallConfirmed},
		{"brand alone never matches without the GTIN", noModel, "00084123450065", "Brightlane", "anything", ""},
		{"nothing in common", e, "00084123450065", "Brightlane", "BL-PLG-9", ""},
	}
	for _, c := range cases {
		if got := c.entry.MatchRecall(c.gtin, c.brand, c.model); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRecallAffectedNamesTheProductsOfChangedAndWithdrawnEntriesOnly(t *testing.T) {
	keep := registry.Entry{LabelID: "A", LabelKey: "a", Brand: "Keep", Model: "K-1", GTINs: "00084123450010", Markets: "US"}
	old := registry.Entry{LabelID: "B", LabelKey: "b", Brand: "Move", Model: "M-1", GTINs: "00084123450027", Markets: "US"}
	moved := old
	moved.Markets = "US UK"
	gone := registry.Entry{LabelID: "C", LabelKey: "c", Brand: "Gone", Model: "G-1", Markets: "US"}
	added := registry.Entry{LabelID: "D", LabelKey: "d", GTINs: "00084123450034", Markets: "US"}
	a := registry.RecallAffected([]registry.Entry{keep, old, gone}, []registry.Entry{keep, moved, added})
	if strings.Join(a.GTINs, " ") != "00084123450027 00084123450034" || strings.Join(a.MatchKeys, " ") != "gone|g1 move|m1" {
		t.Errorf("affected %+v", a)
	}
}

// TestACPSCSourceRefreshesLikeARegistryAndKeepsTheLastGoodList: a recall
// source of format cpsc is fetched by the same refresh, read with the CPSC
// reader, and an unreadable answer keeps the last good snapshot.
func TestACPSCSourceRefreshesLikeARegistryAndKeepsTheLastGoodList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var sample []byte
		for _, s := range registry.RecallSamples() {
			if s.List == "US-CPSC" {
				sample = s.Data
			}
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/Recall" {
				w.Write(sample)
				return
			}
			w.Write([]byte(`[{"RecallNumber": "1", "RecallDate": "not a date"}]`))
		}))
		t.Cleanup(srv.Close)
		store := registry.NewStore(db)
		fetcher := registry.Fetcher{Client: outbound.Client(outbound.Policy{Allow: loopback, Timeout: 2 * time.Second}), MaxBytes: 1 << 20}
		if _, err := store.AddSource(admin, registry.NewSource{Scheme: "US-CPSC", URL: srv.URL + "/Recall", Format: "rapex"}); errs.CodeOf(err) != "UNKNOWN_FORMAT" {
			t.Fatalf("an unknown format is refused when the source is added: %v", err)
		}
		good, err := store.AddSource(admin, registry.NewSource{Scheme: "US-CPSC", URL: srv.URL + "/Recall", Format: registry.FormatCPSC, Schedule: "0 4 * * *"})
		if err != nil {
			t.Fatal(err)
		}
		sources, err := store.Sources(admin)
		if err != nil || len(sources) != 1 || sources[0].Kind != registry.KindRecalls || sources[0].Format != registry.FormatCPSC {
			t.Fatalf("sources %+v %v", sources, err)
		}
		snap, err := store.Refresh(admin, fetcher, sources[0])
		if err != nil || snap.EntryCount != 6 || snap.Scheme != "US-CPSC" || snap.SourceID == nil || *snap.SourceID != good.ID {
			t.Fatalf("refresh: %+v %v", snap, err)
		}
		bad, _ := store.AddSource(admin, registry.NewSource{Scheme: "US-CPSC", URL: srv.URL + "/bad", Format: registry.FormatCPSC})
		bad, _ = store.Source(admin, bad.ID)
		if _, err := store.Refresh(admin, fetcher, bad); errs.CodeOf(err) != "SOURCE_UNREADABLE" {
			t.Fatalf("an unreadable list: %v", err)
		}
		view, _ := store.LoadView(admin, time.Now())
		if got := view.Recalls("00084123450010", "Brightlane", "BL-PLG-2", "brightlane|blplg2"); len(got) != 1 || got[0].Entry.LabelID != "S27001" || got[0].Match != registry.RecallConfirmed {
			t.Fatalf("the last good list stays in the view: %+v", got)
		}
		if len(view.Schemes) != 5 || view.Schemes["US-CPSC"] != nil || view.RecallLists["US-CPSC"] == nil {
			t.Errorf("recall lists are kept apart from label schemes: %v %v", view.Schemes, view.RecallLists)
		}
	})
}
