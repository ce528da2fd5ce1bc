package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/imports"
)

// getMapping answers a supplier's saved column mapping.
func (s *Server) getMapping(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.batches.Mapping(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"mapping": m})
	return nil
}

// putMapping replaces a supplier's saved column mapping with the body,
// {"<their header>": "<column>"}.
func (s *Server) putMapping(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var m imports.Mapping
	if err := bindJSON(c, &m); err != nil {
		return err
	}
	saved, err := s.batches.SetMapping(c.Request.Context(), id, m)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"mapping": saved})
	return nil
}
