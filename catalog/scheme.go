package catalog

import (
	"context"

	"github.com/cascade-gate/cascade/app/kernel/access"
)

// SchemeCodes lists the codes of the label schemes Cascade knows, in order
// (not the recall lists: no product claims a label from one).
func (s *Store) SchemeCodes(ctx context.Context) ([]string, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	var codes []string
	err := s.db.WithContext(ctx).Table("schemes").Where("kind = ?", "labels").Order("code").Pluck("code", &codes).Error
	return codes, err
}
