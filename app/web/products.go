package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog"
)

func (s *Server) listProducts(c *gin.Context) error {
	f := catalog.ProductFilter{Category: c.Query("category"), GTIN: c.Query("gtin"), Query: c.Query("q")}
	var err error
	if f.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return err
	}
	return listed(c, func(r database.PageRequest) (database.Page[catalog.Product], error) {
		return s.products.ProductsPage(c.Request.Context(), f, r)
	})
}

func (s *Server) getProduct(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.products.Product(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"product": p})
	return nil
}
