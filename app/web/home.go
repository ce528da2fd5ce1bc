package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/templates"
)

func (s *Server) home(c *gin.Context) error {
	page, err := templates.Render("home.html", map[string]any{"Title": "Cascade", "User": ""})
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return nil
}
