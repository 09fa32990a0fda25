DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log;
DROP TRIGGER IF EXISTS access_log_no_update_or_delete ON access_log;
DROP FUNCTION IF EXISTS access_log_append_only();
DROP TABLE IF EXISTS access_log;
DROP TABLE IF EXISTS blocks;
DROP TABLE IF EXISTS emergency_accesses;
DROP TABLE IF EXISTS consents;
DROP TABLE IF EXISTS care_relations;
DROP TABLE IF EXISTS staff;
