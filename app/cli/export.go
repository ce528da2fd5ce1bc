package cli

import (
	"bufio"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

func (e *env) exportCmd() *cobra.Command {
	c := &cobra.Command{Use: "export", Short: "Export feeds"}
	var market, channel, format, publicURL string
	l := &cobra.Command{
		Use:   "listings --market M --format csv|xlsx|json",
		Short: "Write the products allowed in a market (the listing feed) to standard output",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			w := bufio.NewWriter(e.stdout)
			if err := verdicts.New(db).WithPublicURL(publicURL).WriteListings(ctx, w, market, channel, strings.ToLower(format)); err != nil {
				return err
			}
			return w.Flush()
		},
	}
	l.Flags().StringVar(&market, "market", "", "market code: UK, EU, SG, AU or US")
	l.Flags().StringVar(&channel, "channel", "retail", "retail or procurement")
	l.Flags().StringVar(&format, "format", "csv", "csv, xlsx or json")
	l.Flags().StringVar(&publicURL, "public-url", os.Getenv("CASCADE_PUBLIC_URL"),
		"the server's URL as people reach it, to give facts_url absolute, e.g. https://cascade.example (env CASCADE_PUBLIC_URL); a path without it")
	_ = l.MarkFlagRequired("market")
	c.AddCommand(l)
	return c
}
