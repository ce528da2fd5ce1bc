package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

func (e *env) auditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "The append-only audit log"}
	var checkpoints string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exit 1 if any entry was edited or deleted",
		Long: `Check the audit log's hash chain; exit 1 if any entry was edited or deleted.

With --checkpoint FILE (one checkpoint JSON line per line, as printed by
'cascade audit checkpoint' or logged by the server), also check that every
checkpoint is still in the chain: the entry with its seq still has its hash,
and, when CASCADE_AUDIT_KEY is set, its HMAC verifies. This catches a chain
rewritten or cut short by someone able to drop the database's triggers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cps []audit.Checkpoint
			var key []byte
			if checkpoints != "" {
				f, err := os.Open(checkpoints)
				if err != nil {
					return errs.Invalidf("CHECKPOINT_FILE", "cannot read the checkpoint file: %v", err)
				}
				cps, err = audit.ParseCheckpoints(f)
				f.Close()
				if err != nil {
					return err
				}
				if key, err = audit.KeyFromEnv(); err != nil {
					return err
				}
			}
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			log := audit.NewLog(db)
			r, err := log.Verify(ctx)
			if err != nil {
				return err
			}
			broken := false
			if !r.OK {
				fmt.Fprintf(e.stdout, "audit log BROKEN at entry %d: %s (%d entries verified before it)\n", r.BadSeq, r.Problem, r.Entries)
				broken = true
			} else {
				fmt.Fprintf(e.stdout, "audit log intact: %d entries verified\n", r.Entries)
			}
			if cps != nil {
				problems, err := log.VerifyCheckpoints(ctx, cps, key)
				if err != nil {
					return err
				}
				for _, p := range problems {
					fmt.Fprintf(e.stdout, "checkpoint FAILED (line %d, entry %d): %s\n", p.Checkpoint.Line, p.Checkpoint.Seq, p.Problem)
				}
				signed := "HMACs checked"
				if key == nil {
					signed = "HMACs not checked: " + audit.EnvKey + " is not set"
				}
				fmt.Fprintf(e.stdout, "checkpoints: %d of %d still in the chain (%s)\n", len(cps)-len(problems), len(cps), signed)
				broken = broken || len(problems) > 0
			}
			if broken {
				return exitCode(1)
			}
			return nil
		},
	}
	verify.Flags().StringVar(&checkpoints, "checkpoint", "", "a file of checkpoint JSON lines that must all still be in the chain")
	c.AddCommand(verify, &cobra.Command{
		Use:   "checkpoint",
		Short: "Print the chain's head as one JSON line to keep outside the database",
		Long: `Print the chain's head as one JSON line,
{"seq":N,"hash":"<hex>","at":"<RFC 3339>","hmac":"<hex>"|null},
HMAC-SHA256-signed with CASCADE_AUDIT_KEY when it is set. Append it to a file
kept away from the database (another host, a ticket, a notary); later,
'cascade audit verify --checkpoint FILE' fails if the chain no longer holds it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := audit.KeyFromEnv()
			if err != nil {
				return err
			}
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			cp, err := audit.NewLog(db).Checkpoint(ctx, key)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, cp.JSON())
			return nil
		},
	})
	return c
}
