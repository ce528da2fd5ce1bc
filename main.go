// Command cascade is the retail and procurement gate for connected products.
package main

import (
	"context"
	"os"

	"github.com/cascade-gate/cascade/app/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
