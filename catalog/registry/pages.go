package registry

import (
	"context"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

// SchemesPage is one page of the label schemes (recall lists are not), in id order.
func (s *Store) SchemesPage(ctx context.Context, r database.PageRequest) (database.Page[Scheme], error) {
	if _, err := access.From(ctx); err != nil {
		return database.Page[Scheme]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Scheme{}).Where("kind = ?", KindLabels)
	return database.Paginate(q, r, database.ByID, func(x Scheme) []int64 { return []int64{x.ID} })
}

// SnapshotsPage is one page of a scheme's snapshots, newest first.
func (s *Store) SnapshotsPage(ctx context.Context, scheme string, r database.PageRequest) (database.Page[Snapshot], error) {
	if _, err := access.From(ctx); err != nil {
		return database.Page[Snapshot]{}, err
	}
	sc, err := s.Scheme(ctx, scheme)
	if err != nil {
		return database.Page[Snapshot]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Snapshot{}).Where("scheme_id = ?", sc.ID)
	p, err := database.Paginate(q, r, database.NewestFirst, func(x Snapshot) []int64 { return []int64{x.ID} })
	for i := range p.Items {
		p.Items[i].Scheme = sc.Code
	}
	return p, err
}

// EntriesPage is one page of a snapshot's entries, in the order they were stored.
func (s *Store) EntriesPage(ctx context.Context, snapshotID int64, r database.PageRequest) (database.Page[Entry], error) {
	if _, err := s.Snapshot(ctx, snapshotID); err != nil {
		return database.Page[Entry]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Entry{}).Where("snapshot_id = ?", snapshotID)
	return database.Paginate(q, r, database.ByID, func(x Entry) []int64 { return []int64{x.ID} })
}

// SourcesPage is one page of the configured sources with their last refresh
// status, in id order. Only admins may list them (see Sources).
func (s *Store) SourcesPage(ctx context.Context, r database.PageRequest) (database.Page[Source], error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return database.Page[Source]{}, err
	}
	p, err := database.Paginate(s.db.WithContext(ctx).Model(&Source{}), r, database.ByID, func(x Source) []int64 { return []int64{x.ID} })
	if err != nil {
		return p, err
	}
	schemes, err := s.Schemes(ctx)
	if err != nil {
		return p, err
	}
	codes := make(map[int64]string, len(schemes))
	for _, sc := range schemes {
		codes[sc.ID] = sc.Code
	}
	for i := range p.Items {
		p.Items[i].Scheme = codes[p.Items[i].SchemeID]
	}
	return p, nil
}
