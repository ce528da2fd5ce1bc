package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cascade-gate/cascade/templates"
)

// routes is the one table of everything Cascade answers over HTTP.
// Who may do what is decided by the domain packages, not here.
func (s *Server) routes(m *metrics) *gin.Engine {
	r := gin.New()
	// No proxy is trusted until TrustProxies says so: otherwise any client
	// could pick the address the sign-in throttle counts (X-Forwarded-For).
	_ = r.SetTrustedProxies(nil) // nil never fails
	r.HandleMethodNotAllowed = true
	// A path with a trailing slash is no route, answered in the one error
	// shape: gin's redirect answered the API in HTML (301/307 with a link).
	r.RedirectTrailingSlash = false
	r.ContextWithFallback = true
	r.Use(requestID(s.log), recoverJSON(), m.middleware(), accessLog(s.log), securityHeaders())
	r.NoRoute(func(c *gin.Context) { writeError(c, errNoRoute) })
	r.NoMethod(writeBadMethod)

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", h(s.readyz))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	r.GET("/", h(s.home))
	r.StaticFS("/static", http.FS(templates.Static()))
	r.GET("/login", s.ph(s.loginForm))
	r.POST("/login", limitBody(MaxJSONBody), s.ph(s.loginSubmit))
	r.GET("/api/docs", h(s.apiDocs)) // the API reference, from the OpenAPI document
	// Unsubscribing from e-mail: the signed link is the credential (no session).
	r.GET("/unsubscribe", s.ph(s.unsubscribePage))
	r.POST("/unsubscribe", limitBody(MaxJSONBody), s.ph(s.unsubscribe))

	// Security facts: anyone may ask, with a session or without; the domain
	// decides what each gets (behind sign-in unless public cards are on).
	facts := r.Group("", s.pageSessionIfAny(), limitBody(MaxJSONBody))
	facts.GET("/facts/:gtin", s.ph(s.factsFragment))
	facts.GET("/facts/:gtin/badge.svg", s.ph(s.factsBadge))

	// Pages for people: a session cookie, CSRF tokens on every form.
	pages := r.Group("", s.pageSession())
	pages.POST("/supplier/upload", limitBody(s.importLimits.MaxFileBytes+MaxJSONBody), s.ph(s.supplierUpload))
	pages.POST("/supplier/check", limitBody(s.importLimits.MaxFileBytes+MaxJSONBody), s.ph(s.supplierCheck))
	pages.POST("/admin/registries/upload", limitBody(MaxRegistryBody), s.ph(s.adminUploadSnapshot))
	pages.POST("/admin/policies", limitBody(2*MaxJSONBody), s.ph(s.adminUploadPolicy))
	form := pages.Group("", limitBody(MaxJSONBody))
	form.POST("/logout", s.ph(s.logoutSubmit))
	form.GET("/supplier", s.ph(s.supplierHome))
	form.GET("/supplier/imports/:id", s.ph(s.supplierImport))
	form.GET("/supplier/products", s.ph(s.supplierProducts))
	form.GET("/suppliers/:id/mapping", s.ph(s.mappingPage))
	form.POST("/suppliers/:id/mapping", s.ph(s.saveMappingPage))
	form.GET("/dashboard", s.ph(s.dashboardPage))
	form.GET("/products", s.ph(s.productsPage))
	form.GET("/upcoming", s.ph(s.upcomingPage))
	form.GET("/products/:id", s.ph(s.productPage))
	form.GET("/listings", s.ph(s.listingsPage))
	form.GET("/impact", s.ph(s.impactPage))
	form.GET("/schemes", s.ph(s.schemesPage))
	form.GET("/disputes", s.ph(s.disputesPage))
	form.POST("/disputes/:id/accept", s.ph(s.decideDisputePage(true)))
	form.POST("/disputes/:id/reject", s.ph(s.decideDisputePage(false)))
	form.GET("/orders", s.ph(s.ordersPage))
	form.POST("/orders", s.ph(s.createOrderPage))
	form.GET("/orders/:id", s.ph(s.orderPage))
	form.POST("/orders/:id/lines", s.ph(s.addLinePage))
	form.POST("/orders/:id/:action", s.ph(s.orderActionPage))
	form.GET("/catalogue", s.ph(s.cataloguePage))
	form.GET("/waivers", s.ph(s.waiversPage))
	form.POST("/waivers", s.ph(s.requestWaiverPage))
	form.POST("/waivers/:id/approve", s.ph(s.decideWaiverPage(true)))
	form.POST("/waivers/:id/refuse", s.ph(s.decideWaiverPage(false)))
	form.GET("/admin/users", s.ph(s.adminUsersPage))
	form.POST("/admin/users", s.ph(s.adminCreateUser))
	form.POST("/admin/tokens", s.ph(s.adminCreateToken))
	form.GET("/admin/suppliers", s.ph(s.adminSuppliersPage))
	form.POST("/admin/suppliers", s.ph(s.adminCreateSupplier))
	form.GET("/admin/registries", s.ph(s.adminRegistriesPage))
	form.POST("/admin/sources", s.ph(s.adminAddSource))
	form.POST("/admin/sources/:id/refresh", s.ph(s.adminRefreshSource))
	form.GET("/admin/policies", s.ph(s.adminPoliciesPage))
	form.GET("/admin/policies/review", s.ph(s.adminReviewPolicy))
	form.POST("/admin/policies/:version/activate", s.ph(s.adminActivatePolicy))
	form.GET("/admin/audit", s.ph(s.adminAuditPage))

	api := r.Group("/api/v1")
	api.POST("/session", limitBody(MaxJSONBody), h(s.login)) // with the document below, the routes open to anonymous callers
	api.GET("/openapi.json", s.openAPI)

	// Credentials if any: the security facts' JSON-LD, like their pages above.
	api.Group("", s.authenticate(), limitBody(MaxJSONBody)).GET("/facts", h(s.factsLD))

	// Uploads have their own, larger body limit; everything else takes small JSON bodies.
	signedIn := api.Group("", s.authenticate(), requireUser())
	signedIn.POST("/imports", limitBody(s.importLimits.MaxFileBytes+MaxJSONBody), h(s.uploadImport))
	signedIn.POST("/schemes/:code/snapshots", limitBody(MaxRegistryBody), h(s.uploadSnapshot))
	signedIn.POST("/recalls/:code/snapshots", limitBody(MaxRegistryBody), h(s.uploadRecallSnapshot))

	my := signedIn.Group("", limitBody(MaxJSONBody))
	my.GET("/imports", h(s.listImports))
	my.GET("/imports/:id", h(s.getImport))
	my.GET("/imports/:id/errors", h(s.importErrors))
	my.GET("/imports/:id/fix.xlsx", h(s.fixWorkbook))
	my.GET("/template.xlsx", h(s.template))

	my.DELETE("/session", h(s.logout))
	my.GET("/me", h(s.me))

	my.GET("/users", h(s.listUsers))
	my.POST("/users", h(s.createUser))
	my.GET("/users/:id", h(s.getUser))
	my.DELETE("/users/:id", h(s.disableUser))

	my.GET("/tokens", h(s.listTokens))
	my.POST("/tokens", h(s.createToken))
	my.DELETE("/tokens/:id", h(s.revokeToken))

	my.GET("/suppliers", h(s.listSuppliers))
	my.POST("/suppliers", h(s.createSupplier))
	my.GET("/suppliers/:id", h(s.getSupplier))
	my.GET("/suppliers/:id/mapping", h(s.getMapping))
	my.PUT("/suppliers/:id/mapping", h(s.putMapping))

	my.GET("/products", h(s.listProducts))
	my.GET("/products/:id", h(s.getProduct))
	my.GET("/product-verdicts", h(s.searchProducts))
	my.GET("/blocked-products.xlsx", h(s.blockedWorkbook))

	my.GET("/schemes", h(s.listSchemes))
	my.GET("/schemes/comparison", h(s.schemeComparison))
	my.GET("/schemes/:code/snapshots", h(s.listSnapshots))
	my.GET("/sources", h(s.listSources))
	my.POST("/schemes/:code/sources", h(s.addSource))
	my.POST("/sources/:id/refresh", h(s.refreshSource))
	my.GET("/snapshots/:id", h(s.getSnapshot))
	my.GET("/snapshots/:id/entries", h(s.snapshotEntries))
	my.GET("/recalls", h(s.listRecalls))
	my.POST("/recalls/:code/sources", h(s.addRecallSource))

	my.GET("/policies", h(s.listPolicies))
	my.POST("/policies", h(s.uploadPolicy))
	my.GET("/policies/:version", h(s.getPolicy))
	my.GET("/policies/:version/document", h(s.policyDocument))
	my.GET("/policies/:version/diff", h(s.policyDiff))
	my.POST("/policies/:version/activate", h(s.activatePolicy))
	my.GET("/impact", h(s.impact))

	my.GET("/verdicts", h(s.listVerdicts))
	my.GET("/verdicts/changes", h(s.verdictChanges))
	my.GET("/verdicts/upcoming", h(s.upcomingBlocks))
	my.GET("/verdicts/upcoming/calendar", h(s.upcomingCalendar))
	my.GET("/products/:id/verdicts", h(s.productVerdicts))
	my.GET("/gate", h(s.gate))
	my.GET("/listings", h(s.listings))
	my.POST("/evaluate", h(s.recompute))
	my.GET("/disputes", h(s.listDisputes))
	my.GET("/disputes/:id", h(s.getDispute))
	my.POST("/disputes/:id/accept", h(s.decideDispute(true)))
	my.POST("/disputes/:id/reject", h(s.decideDispute(false)))

	my.GET("/procurement/catalogue", h(s.catalogue))
	my.POST("/procurement/check", h(s.checkExternalOrder))
	my.GET("/purchase-orders", h(s.listOrders))
	my.POST("/purchase-orders", h(s.createOrder))
	my.GET("/purchase-orders/:id", h(s.getOrder))
	my.POST("/purchase-orders/:id/lines", h(s.addLine))
	my.DELETE("/purchase-orders/:id/lines/:line", h(s.removeLine))
	my.GET("/purchase-orders/:id/check", h(s.checkOrder))
	my.POST("/purchase-orders/:id/submit", h(s.orderAction("submit")))
	my.POST("/purchase-orders/:id/approve", h(s.orderAction("approve")))
	my.POST("/purchase-orders/:id/reject", h(s.orderAction("reject")))
	my.POST("/purchase-orders/:id/cancel", h(s.orderAction("cancel")))
	my.GET("/purchase-orders/:id/evidence", h(s.evidenceHTML))
	my.GET("/purchase-orders/:id/evidence.xlsx", h(s.evidenceXLSX))
	my.GET("/waivers", h(s.listWaivers))
	my.POST("/waivers", h(s.requestWaiver))
	my.GET("/waivers/:id", h(s.getWaiver))
	my.POST("/waivers/:id/approve", h(s.decideWaiver(true)))
	my.POST("/waivers/:id/refuse", h(s.decideWaiver(false)))

	my.POST("/webhooks", h(s.createWebhook))
	my.GET("/webhooks", h(s.listWebhooks))
	my.DELETE("/webhooks/:id", h(s.deleteWebhook))
	my.GET("/webhooks/:id/deliveries", h(s.webhookDeliveries))
	my.POST("/webhooks/:id/deliveries/:delivery/redeliver", h(s.redeliverWebhook))

	my.GET("/audit", h(s.listAudit))
	my.GET("/audit/verify", h(s.verifyAudit))
	return r
}
