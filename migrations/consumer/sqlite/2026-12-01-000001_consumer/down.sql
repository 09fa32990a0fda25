DROP TRIGGER IF EXISTS access_log_no_delete;
DROP TRIGGER IF EXISTS access_log_no_update;
DROP TABLE IF EXISTS access_log;
DROP TABLE IF EXISTS blocks;
DROP TABLE IF EXISTS emergency_accesses;
DROP TABLE IF EXISTS consents;
DROP TABLE IF EXISTS care_relations;
DROP TABLE IF EXISTS staff;
