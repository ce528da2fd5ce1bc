package policy_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
)

var admin = access.With(context.Background(), access.Principal{UserID: 1, Role: access.Admin})

// These tests do not register policy.InstallDefault with dbtest.Prepare:
// each database starts as a new one, without a policy.

func policyRows(t *testing.T, db *gorm.DB) (versions []string, actions []string) {
	t.Helper()
	if err := db.Table("policies").Order("id").Pluck("version", &versions).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Table("audit_entries").Where("action LIKE 'policy.%'").Order("seq").Pluck("action", &actions).Error; err != nil {
		t.Fatal(err)
	}
	return versions, actions
}

// Reading the active policy only reads: on a database without one it fails
// closed, NO_ACTIVE_POLICY, and stores nothing.
func TestActiveFailsClosedOnADatabaseWithoutAPolicyAndStoresNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		_, doc, err := policy.NewStore(db).Active(admin)
		if errs.CodeOf(err) != "NO_ACTIVE_POLICY" || doc != nil {
			t.Fatalf("active policy of a new database: got a policy %v, error %v; want NO_ACTIVE_POLICY", doc != nil, err)
		}
		if versions, actions := policyRows(t, db); len(versions)+len(actions) != 0 {
			t.Fatalf("reading the active policy stored %v and audited %v", versions, actions)
		}
	})
}

// Start-up installs the shipped policy once, audited, however many replicas
// start together and however often they start.
func TestInstallDefaultActivatesTheShippedPolicyOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		var wg sync.WaitGroup
		failures := make(chan error, 4)
		for range 4 {
			replica, err := database.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(replica)
			wg.Go(func() {
				if err := policy.InstallDefault(context.Background(), replica); err != nil {
					failures <- err
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatalf("a replica's start-up: %v", err)
		}
		if err := policy.InstallDefault(context.Background(), db); err != nil { // a restart
			t.Fatal(err)
		}
		v, doc, err := policy.NewStore(db).Active(admin)
		if err != nil || doc == nil || v.ActivatedBy != "system:default-policy" {
			t.Fatalf("active after start-up: %+v %v", v, err)
		}
		def, _ := policy.Parse(policy.Default())
		versions, actions := policyRows(t, db)
		if !slices.Equal(versions, []string{def.Version}) || !slices.Equal(actions, []string{"policy.upload", "policy.activate"}) {
			t.Fatalf("after five start-ups: versions %v, audited %v", versions, actions)
		}
	})
}

// A database with an active policy keeps it: start-up installs the default
// only where none is active, and activates an uploaded copy of it as it is.
func TestInstallDefaultLeavesAnActivePolicyAlone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		store := policy.NewStore(db)
		def, _ := policy.Parse(policy.Default())
		raw := strings.Replace(string(policy.Default()), def.Version, "custom-1", 1)
		if _, err := store.Upload(admin, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Activate(admin, "custom-1"); err != nil {
			t.Fatal(err)
		}
		if err := policy.InstallDefault(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		if v, _, err := store.Active(admin); err != nil || v.Version != "custom-1" {
			t.Fatalf("active after start-up: %+v %v, want custom-1", v, err)
		}
		if versions, _ := policyRows(t, db); !slices.Equal(versions, []string{"custom-1"}) {
			t.Fatalf("start-up stored %v", versions)
		}
	})
}
