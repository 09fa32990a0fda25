-- Care contacts (GetCareContacts 3). Time stamps are RIV-TA TimeStampType text
-- (YYYYMMDDhhmmss, Swedish local time), which sorts chronologically. A contact is
-- identified by its document_id; the header's care_contact_id is not used.
CREATE TABLE care_contacts (
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
    care_contact_code TEXT NOT NULL,
    care_contact_reason TEXT,
    care_contact_org_unit_hsa_id TEXT,
    care_contact_org_unit_name TEXT,
    care_contact_start TEXT NOT NULL,
    care_contact_end TEXT,
    care_contact_status TEXT,
    PRIMARY KEY (source_system_hsa_id, document_id)
);
CREATE INDEX care_contacts_patient_time ON care_contacts (patient_id, source_system_hsa_id, author_time);
