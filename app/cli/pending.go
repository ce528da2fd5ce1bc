package cli

import (
	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/errs"
)

// notYet fails a command whose capability has not been built yet, loudly,
// rather than pretending to succeed.
func notYet(what string) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		return errs.E(errs.NotImplemented, "NOT_YET_AVAILABLE", "%s is not yet available in this build", what)
	}
}

func (e *env) registryCmd() *cobra.Command {
	c := &cobra.Command{Use: "registry", Short: "Label registry snapshots"}
	imp := &cobra.Command{Use: "import --scheme CODE FILE", Short: "Import a registry snapshot from a CSV, XLSX or JSON file", Args: cobra.ExactArgs(1), RunE: notYet("registry import")}
	imp.Flags().String("scheme", "", "label scheme code, e.g. SG-CLS")
	refresh := &cobra.Command{Use: "refresh", Short: "Fetch every configured registry source now", Args: cobra.NoArgs, RunE: notYet("registry refresh")}
	c.AddCommand(imp, refresh)
	return c
}

func (e *env) evaluateCmd() *cobra.Command {
	c := &cobra.Command{Use: "evaluate", Short: "Recompute every verdict", Args: cobra.NoArgs, RunE: notYet("evaluate")}
	c.Flags().String("as-of", "", "evaluate as of this date (YYYY-MM-DD) without storing")
	return c
}

func (e *env) verdictsCmd() *cobra.Command {
	c := &cobra.Command{Use: "verdicts", Short: "Print one record per verdict", Args: cobra.NoArgs, RunE: notYet("verdicts")}
	c.Flags().String("format", "json", "json or csv")
	c.Flags().String("market", "", "only this market")
	c.Flags().String("channel", "", "retail or procurement")
	c.Flags().String("as-of", "", "forecast as of this date (YYYY-MM-DD)")
	return c
}

func (e *env) exportCmd() *cobra.Command {
	c := &cobra.Command{Use: "export", Short: "Export feeds"}
	l := &cobra.Command{Use: "listings --market M --format csv|xlsx|json", Short: "Export the allowed products of a market", Args: cobra.NoArgs, RunE: notYet("export listings")}
	l.Flags().String("market", "", "market code")
	l.Flags().String("format", "csv", "csv, xlsx or json")
	c.AddCommand(l)
	return c
}
