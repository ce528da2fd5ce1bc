package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/notify"
)

type subscribeRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// createWebhook answers the subscription with its signing secret, once.
func (s *Server) createWebhook(c *gin.Context) error {
	var req subscribeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	sub, secret, err := s.webhooks.Subscribe(c.Request.Context(), notify.NewSubscription{URL: req.URL, Events: req.Events})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"webhook": sub, "secret": secret, "note": "store this secret now: it is not shown again"})
	return nil
}

func (s *Server) listWebhooks(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[notify.Subscription], error) {
		return s.webhooks.Subscriptions(c.Request.Context(), r)
	})
}

func (s *Server) deleteWebhook(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.webhooks.Unsubscribe(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) webhookDeliveries(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return listed(c, func(r database.PageRequest) (database.Page[notify.Delivery], error) {
		return s.webhooks.Deliveries(c.Request.Context(), id, r)
	})
}

func (s *Server) redeliverWebhook(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	delivery, err := pathID(c, "delivery")
	if err != nil {
		return err
	}
	d, err := s.webhooks.Redeliver(c.Request.Context(), id, delivery)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"delivery": d})
	return nil
}
