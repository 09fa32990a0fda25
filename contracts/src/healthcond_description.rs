//! Core types of the domain `clinicalprocess:healthcond:description`, version 2.1
//! (namespace `urn:riv:clinicalprocess:healthcond:description:2`), as used by
//! GetDiagnosis 2. GetCareDocumentation 3 uses the 3.0 core of the same domain
//! (see [`crate::get_care_documentation`]).

use crate::types::{CvType, LegalAuthenticatorType, PersonIdType, TimeStamp};
use crate::{xml_enum, xml_struct};

/// Core namespace of the description domain, major 2.
pub const NS: &str = "urn:riv:clinicalprocess:healthcond:description:2";
/// Enumerations namespace of the description domain, major 2.
pub const ENUMS_NS: &str = "urn:riv:clinicalprocess:healthcond:description:enums:2";

xml_struct! {
    /// OrgUnitType (description 2.1): the unit where the professional works. HSA-ID and
    /// name are required in this domain.
    pub struct OrgUnitType("OrgUnitType") in ctx {
        pub org_unit_hsa_id: String = one "orgUnitHSAId",
        pub org_unit_name: String = one "orgUnitName",
        pub org_unit_telecom: Option<String> = opt "orgUnitTelecom",
        pub org_unit_email: Option<String> = opt "orgUnitEmail",
        pub org_unit_address: Option<String> = opt "orgUnitAddress",
        pub org_unit_location: Option<String> = opt "orgUnitLocation",
    }
}

xml_struct! {
    /// HealthcareProfessionalType: who documented the record, when, and where.
    pub struct HealthcareProfessionalType("HealthcareProfessionalType") in ctx {
        pub author_time: TimeStamp = one "authorTime",
        pub healthcare_professional_hsa_id: Option<String> = opt "healthcareProfessionalHSAId",
        pub healthcare_professional_name: Option<String> = opt "healthcareProfessionalName",
        pub healthcare_professional_role_code: Option<CvType> = opt "healthcareProfessionalRoleCode",
        pub healthcare_professional_org_unit: Option<OrgUnitType> = opt "healthcareProfessionalOrgUnit",
        pub healthcare_professional_care_unit_hsa_id: Option<String> = opt "healthcareProfessionalCareUnitHSAId",
        pub healthcare_professional_care_giver_hsa_id: Option<String> = opt "healthcareProfessionalCareGiverHSAId",
    }
}

xml_struct! {
    /// PatientSummaryHeaderType: the common header of a record.
    pub struct PatientSummaryHeaderType("PatientSummaryHeaderType") in ctx {
        pub document_id: String = one "documentId",
        pub source_system_hsa_id: String = one "sourceSystemHSAId",
        pub document_title: Option<String> = opt "documentTitle",
        pub document_time: Option<TimeStamp> = opt "documentTime",
        pub patient_id: PersonIdType = one "patientId",
        pub accountable_healthcare_professional: HealthcareProfessionalType = one "accountableHealthcareProfessional",
        pub legal_authenticator: Option<LegalAuthenticatorType> = opt "legalAuthenticator",
        pub approved_for_patient: bool = one "approvedForPatient",
        pub care_contact_id: Option<String> = opt "careContactId",
        pub nullified: Option<bool> = opt "nullified",
        pub nullified_reason: Option<String> = opt "nullifiedReason",
    }
}

xml_enum! {
    /// DiagnosisTypeEnum.
    pub enum DiagnosisTypeEnum("DiagnosisTypeEnum") {
        /// Main diagnosis.
        Huvuddiagnos = "Huvuddiagnos",
        /// Secondary diagnosis.
        Bidiagnos = "Bidiagnos",
    }
}

xml_struct! {
    /// RelatedDiagnosisType: a reference to another diagnosis record.
    pub struct RelatedDiagnosisType("RelatedDiagnosisType") in ctx {
        pub document_id: String = one "documentId",
    }
}

xml_struct! {
    /// DiagnosisBodyType.
    pub struct DiagnosisBodyType("DiagnosisBodyType") in ctx {
        pub type_of_diagnosis: DiagnosisTypeEnum = one "typeOfDiagnosis",
        pub chronic_diagnosis: Option<bool> = opt "chronicDiagnosis",
        pub diagnosis_time: Option<TimeStamp> = opt "diagnosisTime",
        pub diagnosis_code: Option<CvType> = opt "diagnosisCode",
        pub related_diagnosis: Vec<RelatedDiagnosisType> = many "relatedDiagnosis",
    }
}

xml_struct! {
    /// DiagnosisType: one diagnosis record.
    pub struct DiagnosisType("DiagnosisType") in ctx {
        pub diagnosis_header: PatientSummaryHeaderType = one "diagnosisHeader",
        pub diagnosis_body: DiagnosisBodyType = one "diagnosisBody",
    }
}
