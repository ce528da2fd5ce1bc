package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/catalog/offers"
)

// listDisputes is the dispute queue: GET /api/v1/disputes[?status=&gtin=&after=&limit=].
func (s *Server) listDisputes(c *gin.Context) error {
	after, err := queryInt(c, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	list, err := s.disputes.List(c.Request.Context(), offers.Filter{Status: c.Query("status"), GTIN: c.Query("gtin"), AfterID: after, Limit: int(limit)})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"disputes": list})
	return nil
}

func (s *Server) getDispute(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.disputes.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"dispute": d})
	return nil
}

// decideDispute accepts or rejects a dispute: {"note": "…"}.
func (s *Server) decideDispute(accept bool) handler {
	return func(c *gin.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req struct {
			Note string `json:"note"`
		}
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		decide := s.disputes.Reject
		if accept {
			decide = s.disputes.Accept
		}
		d, err := decide(c.Request.Context(), id, req.Note)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{"dispute": d})
		return nil
	}
}
