package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/offers"
)

// listDisputes is the dispute queue: GET /api/v1/disputes[?status=&gtin=&cursor=&limit=].
func (s *Server) listDisputes(c *gin.Context) error {
	f := offers.Filter{Status: c.Query("status"), GTIN: c.Query("gtin")}
	return listed(c, func(r database.PageRequest) (database.Page[offers.Dispute], error) {
		return s.disputes.Page(c.Request.Context(), f, r)
	})
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
