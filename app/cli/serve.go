package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/demo"
	"github.com/cascade-gate/cascade/app/jobs"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/mail"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
)

func (e *env) serveCmd() *cobra.Command {
	var addr, nightly string
	var horizon int
	var webhookTimeout time.Duration
	var withDemo, publicFacts bool
	var publicFactsErr error // CASCADE_PUBLIC_FACTS that is not true or false
	var checkpointEvery string
	var smtpURL, mailFrom, publicURL, digestSchedule, summarySchedule string
	var proxies, allowNets []string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the web UI and JSON API",
		Long: `Run the web UI and JSON API until SIGINT or SIGTERM, then drain in-flight requests.

On a database with no users, an admin is created first: CASCADE_ADMIN_EMAIL
(default admin@cascade.local) with CASCADE_ADMIN_PASSWORD, or a generated
password printed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			applyMemoryBudget()
			log := slog.New(slog.NewJSONHandler(e.stderr, nil))
			slog.SetDefault(log)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cmd.SetContext(ctx)
			policy, err := outboundPolicy(allowNets)
			if err != nil {
				return err
			}
			_, db, err := e.open(cmd)
			if err != nil {
				return err
			}
			defer database.Close(db)

			if n, err := imports.RecoverAbandoned(ctx, db); err != nil {
				return err
			} else if n > 0 {
				log.Warn("marked imports interrupted by an earlier stop as failed", "count", n)
			}
			people := auth.NewService(db)
			email := os.Getenv("CASCADE_ADMIN_EMAIL")
			if email == "" {
				email = "admin@cascade.local"
			}
			created, pw, err := people.Bootstrap(ctx, email, os.Getenv("CASCADE_ADMIN_PASSWORD"))
			if err != nil {
				return fmt.Errorf("bootstrap admin: %w", err)
			}
			if created && os.Getenv("CASCADE_ADMIN_PASSWORD") == "" {
				fmt.Fprintf(e.stdout, "Created the first admin %s with password %s (shown once: store it now)\n", email, pw)
			}
			if withDemo {
				logins, err := demo.Load(ctx, db)
				if err != nil {
					return fmt.Errorf("demo data: %w", err)
				}
				fmt.Fprintln(e.stdout, "Demo logins (fresh passwords every start):")
				tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
				for _, l := range logins {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.Role, l.Email, l.Password, l.Supplier)
				}
				tw.Flush()
			}

			srv := web.New(db, log)
			if err := srv.TrustProxies(proxies); err != nil {
				return err
			}
			if err := publicFactsErr; err != nil {
				return err
			}
			srv.SetPublicFacts(publicFacts)
			if publicURL != "" {
				if u, err := url.Parse(publicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return errs.Invalidf("INVALID_PUBLIC_URL", "--public-url %q is not the server's http(s) URL, e.g. https://cascade.example", publicURL)
				}
				srv.SetPublicURL(publicURL)
			}
			srv.AllowOutbound(policy)
			every, err := time.ParseDuration(checkpointEvery)
			if err != nil || every < 0 {
				return errs.Invalidf("INVALID_CHECKPOINT_INTERVAL", "--audit-checkpoint-every %q is not a duration such as 5m or 0", checkpointEvery)
			}
			if every > 0 {
				key, err := audit.KeyFromEnv()
				if err != nil {
					return err
				}
				anchorCtx, stopAnchor := context.WithCancel(ctx)
				anchored := make(chan struct{})
				go func() { defer close(anchored); srv.AnchorAudit(anchorCtx, every, key) }()
				defer func() { stopAnchor(); <-anchored }() // before the database closes
			}
			if err := srv.SetDeliveryHorizon(horizon); err != nil {
				return err
			}

			mailJobs, err := mailSchedule(smtpURL, mailFrom, publicURL, digestSchedule, summarySchedule)
			if err != nil {
				return err
			}
			stopJobs, err := jobs.Start(ctx, db, log, jobs.Schedule{Nightly: nightly, Outbound: policy,
				Webhooks: notify.Options{Timeout: webhookTimeout}, Mail: mailJobs})
			if err != nil {
				return err
			}
			defer stopJobs()

			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			fmt.Fprintf(e.stdout, "Cascade is listening on %s (database: %s)\n", displayURL(ln.Addr()), database.DialectOf(db))
			return srv.Serve(ctx, ln)
		},
	}
	c.Flags().StringVar(&addr, "addr", envOr("CASCADE_ADDR", ":8080"), "listen address (env CASCADE_ADDR)")
	c.Flags().BoolVar(&withDemo, "demo", false, "load sample suppliers, products, registries and users, and print the logins")
	publicFactsDefault, err := envBool("CASCADE_PUBLIC_FACTS")
	publicFactsErr = err
	c.Flags().BoolVar(&publicFacts, "public-facts", publicFactsDefault,
		"let anyone, signed in or not, read the security facts cards (/facts/:gtin, its badge, GET /api/v1/facts) of the products allowed in a market's retail channel, to embed them on a shop's pages; never of blocked ones; off by default: cards are behind sign-in (env CASCADE_PUBLIC_FACTS)")
	c.Flags().StringSliceVar(&proxies, "trusted-proxies", envList("CASCADE_TRUSTED_PROXIES"),
		"IPs or CIDRs of the reverse proxies whose X-Forwarded-For gives the client address; none by default (env CASCADE_TRUSTED_PROXIES, comma-separated)")
	outboundFlag(c, &allowNets)
	c.Flags().DurationVar(&webhookTimeout, "webhook-timeout", envDuration("CASCADE_WEBHOOK_TIMEOUT", notify.DefaultTimeout),
		"how long one webhook delivery attempt may take before it counts as failed and is retried (env CASCADE_WEBHOOK_TIMEOUT)")
	c.Flags().StringVar(&checkpointEvery, "audit-checkpoint-every", envOr("CASCADE_AUDIT_CHECKPOINT_EVERY", "5m"),
		"log an audit checkpoint (msg \"audit checkpoint\", signed with CASCADE_AUDIT_KEY when set) and update the cascade_audit_head metrics this often; 0 turns it off (env CASCADE_AUDIT_CHECKPOINT_EVERY)")
	c.Flags().StringVar(&nightly, "nightly", envOr("CASCADE_NIGHTLY", jobs.DefaultSchedule.Nightly), "cron expression (UTC) of the nightly re-evaluation (env CASCADE_NIGHTLY)")
	c.Flags().StringVar(&smtpURL, "smtp-url", os.Getenv("CASCADE_SMTP_URL"),
		"send e-mail digests through this server: smtp://user:password@host:587 (STARTTLS when offered) or smtps://… (env CASCADE_SMTP_URL); none sent without it")
	c.Flags().StringVar(&mailFrom, "mail-from", os.Getenv("CASCADE_MAIL_FROM"), "the From address of the e-mail digests (env CASCADE_MAIL_FROM)")
	c.Flags().StringVar(&publicURL, "public-url", os.Getenv("CASCADE_PUBLIC_URL"), "the server's URL as people reach it, for the links in e-mail and the listing feed's facts_url, e.g. https://cascade.example (env CASCADE_PUBLIC_URL)")
	c.Flags().StringVar(&digestSchedule, "digest-schedule", envOr("CASCADE_DIGEST_SCHEDULE", jobs.DefaultDigestSchedule),
		"cron expression (UTC) of the suppliers' e-mail digests (env CASCADE_DIGEST_SCHEDULE)")
	c.Flags().StringVar(&summarySchedule, "summary-schedule", envOr("CASCADE_SUMMARY_SCHEDULE", jobs.DefaultSummarySchedule),
		"cron expression (UTC) of the category managers' weekly e-mail summary (env CASCADE_SUMMARY_SCHEDULE)")
	c.Flags().IntVar(&horizon, "delivery-horizon-years", envInt("CASCADE_DELIVERY_HORIZON_YEARS", procurement.DefaultDeliveryHorizon),
		"how many years ahead a purchase order line may be delivered, 1 to 50 (env CASCADE_DELIVERY_HORIZON_YEARS)")
	return c
}

// outboundFlag adds --allow-outbound-networks to a command that makes
// outgoing requests (registry fetches).
func outboundFlag(c *cobra.Command, list *[]string) {
	c.Flags().StringSliceVar(list, "allow-outbound-networks", envList("CASCADE_ALLOW_OUTBOUND_NETWORKS"),
		"CIDRs of internal networks that outgoing requests (registry sources, webhooks) may reach, e.g. an on-premises mirror; loopback, private, link-local and other internal addresses are refused otherwise (env CASCADE_ALLOW_OUTBOUND_NETWORKS, comma-separated)")
}

// outboundPolicy is what outgoing requests may reach, from the flag.
func outboundPolicy(list []string) (outbound.Policy, error) {
	nets, err := outbound.ParseNetworks(list)
	return outbound.Policy{Allow: nets}, err
}

// envInt is the whole number in the environment variable name, or def when
// it is unset; a value that is not a number gives 0, which the flag's user refuses.
func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0
	}
	return n
}

func displayURL(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + ":" + port
}

// envBool is the true or false in the environment variable name (false
// when unset); anything else is an error at start-up, not a silent default.
func envBool(name string) (bool, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.Invalidf("INVALID_SETTING", "%s=%q: give true or false", name, v)
	}
	return b, nil
}

// envDuration is the duration in the environment variable name, or def
// when it is unset or not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envList is the comma-separated list in the environment variable name, or nil.
func envList(name string) []string {
	var out []string
	for _, v := range strings.Split(os.Getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// mailSchedule is the e-mail jobs' configuration, or nil without an SMTP
// URL. The SMTP URL, the From address and the public URL are checked at
// start-up: a mistake is an error now, not a silent failure every morning.
func mailSchedule(smtpURL, from, publicURL, digest, summary string) (*jobs.Mail, error) {
	if smtpURL == "" {
		return nil, nil
	}
	cfg, err := mail.ParseURL(smtpURL, from)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errs.Invalidf("MISSING_PUBLIC_URL", "e-mail links need the server's URL as people reach it: --public-url https://cascade.example")
	}
	return &jobs.Mail{Digest: digest, Summary: summary, Sender: mail.NewMailer(cfg), BaseURL: strings.TrimRight(publicURL, "/")}, nil
}
