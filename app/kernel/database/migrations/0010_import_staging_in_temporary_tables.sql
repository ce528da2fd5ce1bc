-- A running import now stages its rows in temporary tables of the one
-- connection it holds (imports/staging.go): they are never logged or synced,
-- and they disappear with a killed process. The shared staging tables go.
-- A batch an older process was running when this migration ran cannot
-- finish: it stays running until that process has gone, then is failed as
-- abandoned like any interrupted import, and the file can be uploaded again.
DROP TABLE import_staging_labels;
DROP TABLE import_staging;
