package cli

import (
	"bufio"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/vendors"
)

func (e *env) userCmd() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage users"}
	var n auth.NewUser
	var role, supplier string
	var passwordStdin bool
	add := &cobra.Command{
		Use:   "add --email E --role R",
		Short: "Add a user (prints a generated password unless --password-stdin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			if n.Role, err = access.ParseRole(role); err != nil {
				return err
			}
			if supplier != "" {
				sup, err := vendors.NewStore(db).ByName(ctx, supplier)
				if err != nil {
					return err
				}
				n.SupplierID = sup.ID
			}
			generated := !passwordStdin
			if passwordStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				if err != nil && line == "" {
					return errs.Invalidf("MISSING_PASSWORD", "--password-stdin was given but standard input is empty")
				}
				n.Password = strings.TrimRight(line, "\r\n")
			} else {
				n.Password = auth.GeneratePassword()
			}
			u, err := auth.NewService(db).CreateUser(ctx, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %d %s (%s) created\n", u.ID, u.Email, u.Role)
			if generated {
				fmt.Fprintf(e.stdout, "password: %s (shown once)\n", n.Password)
			}
			return nil
		},
	}
	add.Flags().StringVar(&n.Email, "email", "", "e-mail address, used to sign in")
	add.Flags().StringVar(&n.Name, "name", "", "full name")
	add.Flags().StringVar(&role, "role", "", "admin, category_manager, buyer, approver or supplier")
	add.Flags().StringVar(&supplier, "supplier", "", "the supplier a supplier user belongs to")
	add.Flags().StringVar(&n.Organisation, "organisation", "", "the buying organisation of a buyer or approver")
	add.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			users, err := auth.NewService(db).ListUsers(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tORGANISATION\tSTATUS")
			for _, u := range users {
				status := "active"
				if u.DisabledAt != nil {
					status = "disabled " + u.DisabledAt.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, u.Organisation, status)
			}
			return tw.Flush()
		},
	}
	c.AddCommand(add, list)
	return c
}

func (e *env) tokenCmd() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var email, name string
	var days int64
	create := &cobra.Command{
		Use:   "create --user EMAIL --name NAME",
		Short: "Create an API token for a user (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)
			people := auth.NewService(db)
			u, err := people.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			ttl, err := auth.TokenTTLDays(days)
			if err != nil {
				return err
			}
			secret, t, err := people.CreateToken(ctx, u.ID, name, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, secret)
			fmt.Fprintf(e.stderr, "token %d for %s expires %s; it is not shown again\n", t.ID, u.Email, t.ExpiresAt.Format(time.DateOnly))
			return nil
		},
	}
	create.Flags().StringVar(&email, "user", "", "e-mail of the user the token acts as")
	create.Flags().StringVar(&name, "name", "cli", "what the token is for")
	create.Flags().Int64Var(&days, "ttl-days", 90, "days until the token expires, 1 to 730")
	_ = create.MarkFlagRequired("user")
	c.AddCommand(create)
	return c
}
