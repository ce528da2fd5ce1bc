package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/vendors"
)

type createSupplierRequest struct {
	Name string `json:"name"`
}

func (s *Server) listSuppliers(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[vendors.Supplier], error) {
		return s.suppliers.Page(c.Request.Context(), r)
	})
}

func (s *Server) createSupplier(c *gin.Context) error {
	var req createSupplierRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	sup, err := s.suppliers.Create(c.Request.Context(), req.Name)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"supplier": sup})
	return nil
}

func (s *Server) getSupplier(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sup, err := s.suppliers.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"supplier": sup})
	return nil
}
