-- Diagnoses (GetDiagnosis 2). Time stamps are RIV-TA TimeStampType text
-- (YYYYMMDDhhmmss, Swedish local time), which sorts chronologically.
CREATE TABLE diagnoses (
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
    type_of_diagnosis TEXT NOT NULL,
    chronic_diagnosis BOOLEAN,
    diagnosis_time TEXT,
    diagnosis_code TEXT,
    diagnosis_code_system TEXT,
    diagnosis_display_name TEXT,
    diagnosis_original_text TEXT,
    PRIMARY KEY (source_system_hsa_id, document_id)
);
CREATE INDEX diagnoses_patient_time ON diagnoses (patient_id, source_system_hsa_id, author_time);
