//! The common record header shared by every information type, and the `record!` macro
//! that declares a record type with it.

use npo_contracts::types::{HsaId, PatientId, TimeStamp};

/// A problem with one field of an import record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    /// The field, as named in the import format (camelCase).
    pub field: &'static str,
    /// What is wrong, in English, without echoing personal data.
    pub reason: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        FieldProblem {
            field,
            reason: reason.into(),
        }
    }
}

/// Borrowed view of the common header of any record.
#[derive(Debug, Clone, Copy)]
pub struct HeaderRef<'a> {
    /// `documentId`: unique within the source system.
    pub document_id: &'a str,
    /// HSA-ID of the source system (the producer's logical address for it).
    pub source_system_hsa_id: &'a str,
    /// Patient personnummer or samordningsnummer, 12 digits.
    pub patient_id: &'a str,
    /// Identifier type OID of `patient_id`.
    pub patient_id_type: &'a str,
    /// When the record was written, `YYYYMMDDhhmmss` Swedish local time.
    pub author_time: &'a str,
    /// Author's HSA-ID.
    pub author_hsa_id: Option<&'a str>,
    /// Author's name.
    pub author_name: Option<&'a str>,
    /// Author's role, KV Befattning code (1.2.752.129.2.2.1.4).
    pub author_role_code: Option<&'a str>,
    /// Display name of the role code.
    pub author_role_name: Option<&'a str>,
    /// HSA-ID of the author's organisational unit.
    pub author_org_unit_hsa_id: Option<&'a str>,
    /// Name of the author's organisational unit.
    pub author_org_unit_name: Option<&'a str>,
    /// HSA-ID of the care unit (vårdenhet) responsible for the record.
    pub care_unit_hsa_id: &'a str,
    /// HSA-ID of the care giver (vårdgivare) responsible for the record.
    pub care_giver_hsa_id: &'a str,
    /// Signer's HSA-ID.
    pub legal_authenticator_hsa_id: Option<&'a str>,
    /// Signer's name.
    pub legal_authenticator_name: Option<&'a str>,
    /// When it was signed.
    pub signature_time: Option<&'a str>,
    /// Whether the patient may read it (e.g. in 1177).
    pub approved_for_patient: bool,
    /// The care contact the record belongs to.
    pub care_contact_id: Option<&'a str>,
    /// Withdrawn (makulerad): never sent.
    pub nullified: bool,
    /// Why it was withdrawn.
    pub nullified_reason: Option<&'a str>,
}

impl HeaderRef<'_> {
    /// Checks the header fields; problems are appended to `problems`.
    pub fn validate(&self, problems: &mut Vec<FieldProblem>) {
        if self.document_id.trim().is_empty() {
            problems.push(FieldProblem::new("documentId", "must not be empty"));
        } else if self.document_id.len() > 128 {
            problems.push(FieldProblem::new(
                "documentId",
                "longer than 128 characters",
            ));
        }
        hsa(
            "sourceSystemHsaId",
            Some(self.source_system_hsa_id),
            problems,
        );
        match PatientId::from_typed(self.patient_id, self.patient_id_type) {
            Ok(_) => {}
            Err(e) => problems.push(FieldProblem::new("patientId", e.to_string())),
        }
        time("authorTime", Some(self.author_time), problems);
        hsa("authorHsaId", self.author_hsa_id, problems);
        hsa("authorOrgUnitHsaId", self.author_org_unit_hsa_id, problems);
        hsa("careUnitHsaId", Some(self.care_unit_hsa_id), problems);
        hsa("careGiverHsaId", Some(self.care_giver_hsa_id), problems);
        hsa(
            "legalAuthenticatorHsaId",
            self.legal_authenticator_hsa_id,
            problems,
        );
        time("signatureTime", self.signature_time, problems);
        if self.author_role_code.is_some() && self.author_role_name.is_none() {
            problems.push(FieldProblem::new(
                "authorRoleName",
                "required with authorRoleCode",
            ));
        }
        if self.author_org_unit_hsa_id.is_some() != self.author_org_unit_name.is_some() {
            problems.push(FieldProblem::new(
                "authorOrgUnitName",
                "authorOrgUnitHsaId and authorOrgUnitName go together",
            ));
        }
        if (self.legal_authenticator_hsa_id.is_some() || self.legal_authenticator_name.is_some())
            && self.signature_time.is_none()
        {
            problems.push(FieldProblem::new(
                "signatureTime",
                "required when a signer is given",
            ));
        }
        if self.nullified_reason.is_some() && !self.nullified {
            problems.push(FieldProblem::new(
                "nullifiedReason",
                "only for nullified records",
            ));
        }
    }

    /// Whether the record passes the request's care unit, care giver and care contact
    /// lists and the consumer scope ([`crate::source::Filters::admits`]).
    pub fn admitted_by(&self, filters: &crate::source::Filters) -> bool {
        filters.admits(
            self.care_unit_hsa_id,
            self.care_giver_hsa_id,
            self.care_contact_id,
            self.approved_for_patient,
        )
    }

    /// The patient id (valid after [`HeaderRef::validate`] found no problem).
    pub fn patient(&self) -> Option<PatientId> {
        PatientId::from_typed(self.patient_id, self.patient_id_type).ok()
    }
}

/// Appends a problem when `value` is present and not an HSA-ID.
pub fn hsa(field: &'static str, value: Option<&str>, problems: &mut Vec<FieldProblem>) {
    if let Some(Err(e)) = value.map(HsaId::parse) {
        problems.push(FieldProblem::new(field, e.to_string()));
    }
}

/// Appends a problem when `value` is present and not a TimeStampType.
pub fn time(field: &'static str, value: Option<&str>, problems: &mut Vec<FieldProblem>) {
    if value.is_some_and(|v| TimeStamp::parse(v).is_none()) {
        problems.push(FieldProblem::new(field, "not a time stamp YYYYMMDDhhmmss"));
    }
}

/// A record type of the journal.
pub trait JournalRecord {
    /// The information type, as named in the import format (`diagnosis`, ...).
    const KIND: &'static str;
    /// The common header.
    fn header(&self) -> HeaderRef<'_>;
    /// Checks header and body; an empty list means the record can be stored.
    fn validate(&self) -> Vec<FieldProblem>;
}

/// Declares a record type: a struct with the common header fields followed by the
/// given body fields, deriving diesel row traits for `$table` and serde/JSON Schema
/// for the import format, plus [`JournalRecord::header`] through `header_ref()`.
///
/// The diesel `table!` must list the header columns first, in this order:
/// `document_id, source_system_hsa_id, patient_id, patient_id_type, author_time,
/// author_hsa_id, author_name, author_role_code, author_role_name,
/// author_org_unit_hsa_id, author_org_unit_name, care_unit_hsa_id, care_giver_hsa_id,
/// legal_authenticator_hsa_id, legal_authenticator_name, signature_time,
/// approved_for_patient, care_contact_id, nullified, nullified_reason`.
#[macro_export]
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:path {
            $( $(#[$fmeta:meta])* pub $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            diesel::Queryable, diesel::Selectable, diesel::Insertable,
        )]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[diesel(table_name = $table)]
        pub struct $name {
            /// Unique within the source system; re-importing the same id replaces the record.
            pub document_id: String,
            /// HSA-ID of the source system the record belongs to.
            pub source_system_hsa_id: String,
            /// Patient personnummer or samordningsnummer, 12 digits.
            pub patient_id: String,
            /// `1.2.752.129.2.1.3.1` (personnummer) or `1.2.752.129.2.1.3.3` (samordningsnummer).
            pub patient_id_type: String,
            /// When the record was written, `YYYYMMDDhhmmss`, Swedish local time.
            pub author_time: String,
            /// Author's HSA-ID.
            #[serde(default)]
            pub author_hsa_id: Option<String>,
            /// Author's name.
            #[serde(default)]
            pub author_name: Option<String>,
            /// Author's role, KV Befattning code (code system 1.2.752.129.2.2.1.4).
            #[serde(default)]
            pub author_role_code: Option<String>,
            /// Display name of the role.
            #[serde(default)]
            pub author_role_name: Option<String>,
            /// HSA-ID of the author's organisational unit.
            #[serde(default)]
            pub author_org_unit_hsa_id: Option<String>,
            /// Name of the author's organisational unit.
            #[serde(default)]
            pub author_org_unit_name: Option<String>,
            /// HSA-ID of the responsible care unit (vårdenhet).
            pub care_unit_hsa_id: String,
            /// HSA-ID of the responsible care giver (vårdgivare).
            pub care_giver_hsa_id: String,
            /// Signer's HSA-ID.
            #[serde(default)]
            pub legal_authenticator_hsa_id: Option<String>,
            /// Signer's name.
            #[serde(default)]
            pub legal_authenticator_name: Option<String>,
            /// When it was signed, `YYYYMMDDhhmmss`.
            #[serde(default)]
            pub signature_time: Option<String>,
            /// Whether the patient may read the record.
            pub approved_for_patient: bool,
            /// The care contact the record belongs to.
            #[serde(default)]
            pub care_contact_id: Option<String>,
            /// Withdrawn (makulerad): stored, never sent.
            #[serde(default)]
            pub nullified: bool,
            /// Why it was withdrawn.
            #[serde(default)]
            pub nullified_reason: Option<String>,
            $( $(#[$fmeta])* pub $field: $fty, )*
        }

        impl $name {
            /// The common header.
            pub fn header_ref(&self) -> $crate::records::HeaderRef<'_> {
                $crate::records::HeaderRef {
                    document_id: &self.document_id,
                    source_system_hsa_id: &self.source_system_hsa_id,
                    patient_id: &self.patient_id,
                    patient_id_type: &self.patient_id_type,
                    author_time: &self.author_time,
                    author_hsa_id: self.author_hsa_id.as_deref(),
                    author_name: self.author_name.as_deref(),
                    author_role_code: self.author_role_code.as_deref(),
                    author_role_name: self.author_role_name.as_deref(),
                    author_org_unit_hsa_id: self.author_org_unit_hsa_id.as_deref(),
                    author_org_unit_name: self.author_org_unit_name.as_deref(),
                    care_unit_hsa_id: &self.care_unit_hsa_id,
                    care_giver_hsa_id: &self.care_giver_hsa_id,
                    legal_authenticator_hsa_id: self.legal_authenticator_hsa_id.as_deref(),
                    legal_authenticator_name: self.legal_authenticator_name.as_deref(),
                    signature_time: self.signature_time.as_deref(),
                    approved_for_patient: self.approved_for_patient,
                    care_contact_id: self.care_contact_id.as_deref(),
                    nullified: self.nullified,
                    nullified_reason: self.nullified_reason.as_deref(),
                }
            }
        }
    };
}
