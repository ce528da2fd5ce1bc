package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/audit"
)

func (s *Server) listAudit(c *gin.Context) error {
	f := audit.Filter{Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Actor: c.Query("actor")}
	var err error
	if f.BeforeSeq, err = queryInt(c, "before"); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	entries, err := s.audit.List(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
	return nil
}

func (s *Server) verifyAudit(c *gin.Context) error {
	r, err := s.audit.Verify(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"report": r})
	return nil
}
