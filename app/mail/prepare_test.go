package mail_test

import (
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Every test database starts as start-up leaves it: with the default policy.
func init() { dbtest.Prepare(policy.InstallDefault) }
