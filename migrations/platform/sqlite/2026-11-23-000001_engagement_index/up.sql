-- Engagement index (itintegration:engagementindex 1.0). One row per engagement; `id` is
-- the SHA-256 (hex) of the nine key fields, owner included. Time stamps are TS text
-- (YYYYMMDDhhmmss, Swedish local time), which sorts chronologically.
CREATE TABLE engagements (
    id TEXT PRIMARY KEY NOT NULL,
    registered_resident_identification TEXT NOT NULL,
    service_domain TEXT NOT NULL,
    categorization TEXT NOT NULL,
    logical_address TEXT NOT NULL,
    business_object_instance_identifier TEXT NOT NULL,
    clinical_process_interest_id TEXT NOT NULL,
    source_system TEXT NOT NULL,
    data_controller TEXT NOT NULL,
    owner TEXT NOT NULL,
    most_recent_content TEXT,
    creation_time TEXT NOT NULL,
    update_time TEXT
);
CREATE INDEX engagements_resident_domain
    ON engagements (registered_resident_identification, service_domain);

-- Outbox of ProcessNotification messages to subscribers, written in the same transaction
-- as the change; a worker sends them and retries. Times are Unix milliseconds.
CREATE TABLE engagement_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subscriber TEXT NOT NULL,
    payload TEXT NOT NULL,
    transactions INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT
);
CREATE INDEX engagement_notifications_due
    ON engagement_notifications (failed, next_attempt_at);
