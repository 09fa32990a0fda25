-- The engagement-index outbox: one row per engagement change, written in the same
-- transaction as the journal change that causes it, sent by the outbox worker as EI
-- Update 1 (in id order) and kept with its delivery time. The engagement fields are
-- EngagementType's; owner NULL means the worker's configured owner. Times of the
-- queue itself (created_at, next_attempt_at, delivered_at) are milliseconds since
-- 1970-01-01 UTC; most_recent_content is a TS (YYYYMMDDhhmmss).
CREATE TABLE engagement_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registered_resident_identification TEXT NOT NULL,
    service_domain TEXT NOT NULL,
    categorization TEXT NOT NULL,
    logical_address TEXT NOT NULL,
    business_object_instance_identifier TEXT NOT NULL,
    clinical_process_interest_id TEXT NOT NULL,
    source_system TEXT NOT NULL,
    data_controller TEXT NOT NULL,
    owner TEXT,
    most_recent_content TEXT,
    delete_flag BOOLEAN NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX engagement_outbox_pending ON engagement_outbox (id) WHERE delivered_at IS NULL;
