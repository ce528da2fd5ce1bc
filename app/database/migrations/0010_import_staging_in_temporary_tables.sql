-- A running import now stages its rows in temporary tables of the one
-- connection it holds (imports/staging.go): they are never logged or synced,
-- and they disappear with a killed process. The shared staging tables go.
-- A batch that was running when this migration ran fails on its next write
-- and can be uploaded again.
DROP TABLE import_staging_labels;
DROP TABLE import_staging;
