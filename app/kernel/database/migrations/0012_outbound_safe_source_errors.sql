-- Registry sources used to store a failed fetch's raw error text, which could
-- quote what an internal server sent and name internal hosts and ports (and a
-- source URL's credentials). From now on last_error holds a code and a safe
-- message only; the old texts are replaced, not shown again.
UPDATE registry_sources
   SET last_error = 'SOURCE_FAILED: the last refresh failed before Cascade kept only safe error messages; refresh the source to see why'
 WHERE last_error <> '';
