// Package cli is the `cascade` command: one binary for the server, the batch
// jobs and administration. Every command works on the database named by
// --db or CASCADE_DB.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
)

type env struct {
	dsn    string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: stdin}
	root := e.root()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		if code, ok := err.(exitCode); ok {
			return int(code) // the command printed its own report
		}
		if ee, ok := errs.As(err); ok {
			fmt.Fprintf(stderr, "error: %s: %s\n", ee.Code, ee.Message)
			if ee.Details != nil {
				fmt.Fprintf(stderr, "details: %v\n", ee.Details)
			}
		} else {
			fmt.Fprintf(stderr, "error: %v\n", err)
		}
		return 1
	}
	return 0
}

// exitCode lets a command fail with a chosen status after printing its own report.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func (e *env) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "cascade",
		Short:         "Cascade: the retail and procurement gate for connected products",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("CASCADE_DB")
	if def == "" {
		def = database.DefaultDSN
	}
	root.PersistentFlags().StringVar(&e.dsn, "db", def, "database: an SQLite file path or a postgres:// URL (env CASCADE_DB)")
	root.AddCommand(
		e.serveCmd(),
		e.supplierCmd(),
		e.userCmd(),
		e.tokenCmd(),
		e.auditCmd(),
		e.importCmd(),
		e.registryCmd(),
		e.recallsCmd(),
		e.evaluateCmd(),
		e.verdictsCmd(),
		e.templateCmd(),
		e.exportCmd(),
	)
	return root
}

// open connects to the database, migrating it and installing the default
// policy if none is active yet, and returns a context acting as the CLI operator.
func (e *env) open(cmd *cobra.Command) (context.Context, *gorm.DB, error) {
	db, err := database.Open(cmd.Context(), e.dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := policy.InstallDefault(cmd.Context(), db); err != nil {
		database.Close(db)
		return nil, nil, fmt.Errorf("install the default policy: %w", err)
	}
	name := "cli"
	if u := os.Getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return access.With(cmd.Context(), access.System(name)), db, nil
}
