package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

type createUserRequest struct {
	Email        string `json:"email"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	SupplierID   int64  `json:"supplier_id"`
	Organisation string `json:"organisation"`
	Password     string `json:"password"`
}

func (s *Server) listUsers(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[auth.User], error) {
		return s.auth.UsersPage(c.Request.Context(), r)
	})
}

func (s *Server) createUser(c *gin.Context) error {
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.auth.CreateUser(c.Request.Context(), auth.NewUser{
		Email: req.Email, Name: req.Name, Role: access.Role(req.Role),
		SupplierID: req.SupplierID, Organisation: req.Organisation, Password: req.Password,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"user": u})
	return nil
}

func (s *Server) getUser(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.auth.GetUser(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
	return nil
}

func (s *Server) disableUser(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.auth.DisableUser(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
