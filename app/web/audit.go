package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

func (s *Server) listAudit(c *gin.Context) error {
	f := audit.Filter{Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Actor: c.Query("actor")}
	return listed(c, func(r database.PageRequest) (database.Page[audit.Entry], error) {
		return s.audit.Page(c.Request.Context(), f, r)
	})
}

func (s *Server) verifyAudit(c *gin.Context) error {
	r, err := s.audit.Verify(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"report": r})
	return nil
}
