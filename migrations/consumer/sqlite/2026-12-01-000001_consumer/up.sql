-- The school-nurse app: staff directory copy, PDL registrations and the access log.
-- Times are Unix seconds (UTC). The access log is append-only (triggers below).

CREATE TABLE staff (
    hsa_id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    synced_at BIGINT NOT NULL
);

CREATE TABLE care_relations (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL,
    user_hsa_id TEXT NOT NULL,
    care_giver TEXT NOT NULL,
    care_unit TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX care_relations_patient ON care_relations (patient_id, user_hsa_id);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL,
    given_by TEXT NOT NULL CHECK (given_by IN ('pupil', 'guardian')),
    guardian_name TEXT,
    scope TEXT NOT NULL CHECK (scope IN ('care_unit', 'user')),
    scope_hsa_id TEXT NOT NULL,
    care_giver TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT,
    withdrawn_at BIGINT,
    withdrawn_by TEXT,
    created_at BIGINT NOT NULL,
    CHECK (given_by = 'pupil' OR guardian_name IS NOT NULL)
);
CREATE INDEX consents_patient ON consents (patient_id);

CREATE TABLE emergency_accesses (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL,
    user_hsa_id TEXT NOT NULL,
    care_unit TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX emergency_accesses_patient ON emergency_accesses (patient_id, user_hsa_id);

CREATE TABLE blocks (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('care_giver', 'care_unit')),
    blocked_hsa_id TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX blocks_patient ON blocks (patient_id);

CREATE TABLE access_log (
    id TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    correlation_id TEXT NOT NULL,
    user_hsa_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    care_giver TEXT NOT NULL,
    care_unit TEXT NOT NULL,
    purpose TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    page TEXT NOT NULL,
    care_givers_shown TEXT NOT NULL,
    info_types TEXT NOT NULL,
    time_window TEXT NOT NULL,
    emergency BOOLEAN NOT NULL
);
CREATE INDEX access_log_created ON access_log (created_at);
CREATE INDEX access_log_patient ON access_log (patient_id);
CREATE INDEX access_log_user ON access_log (user_hsa_id);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
