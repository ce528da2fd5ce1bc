package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/catalog"
)

func (s *Server) listProducts(c *gin.Context) error {
	f := catalog.ProductFilter{Category: c.Query("category"), GTIN: c.Query("gtin"), Query: c.Query("q")}
	var err error
	if f.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return err
	}
	if f.AfterID, err = queryInt(c, "after"); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	list, err := s.products.Products(c.Request.Context(), f)
	if err != nil {
		return err
	}
	resp := gin.H{"products": list}
	if len(list) > 0 {
		resp["next_after"] = list[len(list)-1].ID
	}
	c.JSON(http.StatusOK, resp)
	return nil
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
