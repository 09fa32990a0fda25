-- Journal notes (GetCareDocumentation 3). Time stamps are RIV-TA TimeStampType text
-- (YYYYMMDDhhmmss, Swedish local time), which sorts chronologically. An attachment is
-- kept as its MIME type plus either a reference (URL) or the content in base64.
CREATE TABLE care_documentation (
    document_id TEXT NOT NULL,
    source_system_hsa_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    patient_id_type TEXT NOT NULL,
    author_time TEXT NOT NULL,
    author_hsa_id TEXT,
    author_name TEXT,
    author_role_code TEXT,
    author_role_name TEXT,
    author_org_unit_hsa_id TEXT,
    author_org_unit_name TEXT,
    care_unit_hsa_id TEXT NOT NULL,
    care_giver_hsa_id TEXT NOT NULL,
    legal_authenticator_hsa_id TEXT,
    legal_authenticator_name TEXT,
    signature_time TEXT,
    approved_for_patient BOOLEAN NOT NULL,
    care_contact_id TEXT,
    nullified BOOLEAN NOT NULL DEFAULT FALSE,
    nullified_reason TEXT,
    note_type_code TEXT NOT NULL,
    note_type_display_name TEXT,
    note_title TEXT,
    note_text TEXT,
    attachment_media_type TEXT,
    attachment_reference TEXT,
    attachment_base64 TEXT,
    PRIMARY KEY (source_system_hsa_id, document_id)
);
CREATE INDEX care_documentation_patient_time ON care_documentation (patient_id, source_system_hsa_id, author_time);
