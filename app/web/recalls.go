package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// Recall lists are registries of kind recalls: their snapshots and entries
// are read through /api/v1/schemes/{code}/snapshots and /api/v1/snapshots,
// their sources refreshed through /api/v1/sources like any other.

func (s *Server) listRecalls(c *gin.Context) error {
	list, err := s.registries.RecallListsWithLatest(c.Request.Context())
	if err != nil {
		return err
	}
	// The recall authorities configured: a handful, never more than a page.
	writePage(c, database.Page[registry.RecallList]{Items: list, Total: int64(len(list)), HasTotal: true})
	return nil
}

// uploadRecallSnapshot imports a recall list file (?format=cpsc for CPSC
// records; ?sample=true for demo data) and re-evaluates the products it can affect.
func (s *Server) uploadRecallSnapshot(c *gin.Context) error {
	sample, err := queryBool(c, "sample")
	if err != nil {
		return err
	}
	ch, err := s.receiveSnapshot(c, snapshotUpload{scheme: c.Param("code"), format: c.Query("format"), kind: registry.KindRecalls,
		sample: sample})
	if err != nil {
		return err
	}
	s.respondChange(c, http.StatusCreated, gin.H{"snapshot": ch.Snapshot}, ch.Recomputation)
	return nil
}

type addRecallSourceRequest struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Format   string `json:"format"`
	Schedule string `json:"schedule"`
}

func (s *Server) addRecallSource(c *gin.Context) error {
	var req addRecallSourceRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	sc, err := s.registries.Scheme(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	if sc.Kind != registry.KindRecalls {
		return errs.Invalidf("NOT_A_RECALL_LIST", "%s is a label scheme, not a recall list", sc.Code)
	}
	src, err := s.registries.AddSource(ctx, registry.NewSource{Scheme: sc.Code, Name: req.Name, URL: req.URL, Format: req.Format, Schedule: req.Schedule})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"source": src})
	return nil
}
