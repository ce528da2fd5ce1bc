package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// healthz says the process is up; it touches nothing else.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether this replica can serve: the database answers and its
// schema is the one this build expects.
func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := database.Ping(ctx, s.db); err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "database": database.DialectOf(s.db), "schema_version": database.LatestVersion()})
	return nil
}
