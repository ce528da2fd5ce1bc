package catalog

import "context"

// SchemeCodes lists the codes of the label schemes Cascade knows, in order.
func (s *Store) SchemeCodes(ctx context.Context) ([]string, error) {
	var codes []string
	err := s.db.WithContext(ctx).Table("schemes").Order("code").Pluck("code", &codes).Error
	return codes, err
}
