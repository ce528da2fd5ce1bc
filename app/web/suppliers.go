package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type createSupplierRequest struct {
	Name string `json:"name"`
}

func (s *Server) listSuppliers(c *gin.Context) error {
	list, err := s.suppliers.List(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"suppliers": list})
	return nil
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
