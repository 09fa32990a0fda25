//! Core types of the domain `clinicalprocess:activityprescription:actoutcome`, version 2.0
//! (namespace `urn:riv:clinicalprocess:activityprescription:actoutcome:2`), with the
//! minor-version 2.1 extension (namespace `...:actoutcome:2.1`, the `relation` element
//! of a medication prescription). Used by GetMedicationHistory 2 (schema 2.1, see
//! [`crate::get_medication_history`]) and GetVaccinationHistory 2 (schema 2.0, see
//! [`crate::get_vaccination_history`]); both releases ship the same core file.
//!
//! Only the types reachable from those two contracts are modelled: the core's unused
//! `ReferredInformationType` and `UnstructuredInformationType` are left out (the 2.1
//! extension declares its own `ReferredInformationType`, which is modelled).
//!
//! Shapes shared with other domains (CVType, IIType, PersonIdType, TimePeriodType,
//! LegalAuthenticatorType, ResultType, OrgUnitType with every field optional and
//! HealthcareProfessionalType) come from [`crate::types`]. This domain's DatePeriodType
//! (both ends optional) and PatientSummaryHeaderType are declared here.

pub use crate::types::common::{HealthcareProfessionalType, OrgUnitType};
use crate::types::{CvType, IiType, LegalAuthenticatorType, PersonIdType, TimePeriodType};
use crate::types::{Date, TimeStamp};
use crate::xml::XmlText;
use crate::{xml_enum, xml_struct};

/// Core namespace of the actoutcome domain, major 2.
pub const NS: &str = "urn:riv:clinicalprocess:activityprescription:actoutcome:2";
/// Enumerations namespace of the actoutcome domain, major 2.
pub const ENUMS_NS: &str = "urn:riv:clinicalprocess:activityprescription:actoutcome:enums:2";
/// Namespace of the minor-version 2.1 extension (`relation` and its types).
pub const EXT_NS: &str = "urn:riv:clinicalprocess:activityprescription:actoutcome:2.1";

// ---------------------------------------------------------------------------------------
// Simple types
// ---------------------------------------------------------------------------------------

/// `xs:integer` (arbitrary size), kept in its lexical form so that values round-trip
/// exactly. Used for dose numbers in vaccination records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Integer(String);

impl Integer {
    /// Parses an `xs:integer` lexical form: an optional sign and one or more digits
    /// (surrounding whitespace is collapsed away).
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Integer(trimmed.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, if it fits in an `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        let text = self.0.strip_prefix('+').unwrap_or(&self.0);
        text.parse().ok()
    }
}

impl From<i64> for Integer {
    fn from(value: i64) -> Self {
        Integer(value.to_string())
    }
}

impl XmlText for Integer {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Integer::parse(text).ok_or_else(|| "not an xs:integer".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

xml_enum! {
    /// TypeOfPrescriptionEnum: whether a prescription starts or ends a treatment.
    pub enum TypeOfPrescriptionEnum("TypeOfPrescriptionEnum") {
        /// Insättning: starts (or changes) a treatment.
        Insattning = "I",
        /// Utsättning: ends a treatment; carries no drug.
        Utsattning = "U",
    }
}

xml_enum! {
    /// PrescriptionStatusEnum: whether a prescription is the last one of its chain.
    pub enum PrescriptionStatusEnum("PrescriptionStatusEnum") {
        /// The current prescription of its chain.
        Active = "Active",
        /// Replaced by a later prescription in its chain.
        Inactive = "Inactive",
    }
}

xml_enum! {
    /// NonReplaceableEnum: who refused generic substitution at the pharmacy.
    pub enum NonReplaceableEnum("NonReplaceableEnum") {
        /// The prescriber.
        Prescriber = "Prescriber",
        /// The patient.
        Patient = "Patient",
    }
}

// ---------------------------------------------------------------------------------------
// Common shapes of this domain
// ---------------------------------------------------------------------------------------

xml_struct! {
    /// DatePeriodType of this domain: both ends are optional (an open interval).
    pub struct DatePeriodType("DatePeriodType") in ctx {
        pub start: Option<Date> = opt "start",
        pub end: Option<Date> = opt "end",
    }
}

xml_struct! {
    /// PQType: a physical quantity, value and unit.
    pub struct PqType("PQType") in ctx {
        pub value: f64 = one "value",
        pub unit: String = one "unit",
    }
}

impl PqType {
    /// A quantity.
    pub fn new(value: f64, unit: &str) -> Self {
        PqType {
            value,
            unit: unit.to_owned(),
        }
    }
}

xml_struct! {
    /// PQIntervalType: a quantity or range of quantities (`low`..`high`) in one unit.
    pub struct PqIntervalType("PQIntervalType") in ctx {
        pub low: Option<f64> = opt "low",
        pub high: Option<f64> = opt "high",
        pub unit: String = one "unit",
    }
}

xml_struct! {
    /// ActorType: a person (HSA-ID, name and contact details), used in vaccination
    /// records.
    pub struct ActorType("ActorType") in ctx {
        pub hsaid: Option<String> = opt "hsaid",
        pub person_name: Option<String> = opt "personName",
        pub person_email: Option<String> = opt "personEmail",
        pub person_telecom: Option<String> = opt "personTelecom",
        pub person_address: Option<String> = opt "personAddress",
    }
}

xml_struct! {
    /// PatientSummaryHeaderType: the common header of a record. GetMedicationHistory
    /// producers must not send `documentTime`, `nullified` or `nullifiedReason`; the
    /// GetVaccinationHistory field rules expect `nullified` in every record.
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

xml_struct! {
    /// AdditionalPatientInformationType: date of birth and gender of the patient.
    pub struct AdditionalPatientInformationType("AdditionalPatientInformationType") in ctx {
        pub date_of_birth: Date = one "dateOfBirth",
        pub gender: Option<CvType> = opt "gender",
    }
}

xml_struct! {
    /// InformationOwnerType: who owns referred information (an identifier).
    pub struct InformationOwnerType("InformationOwnerType") in ctx {
        pub id: IiType = one "id",
    }
}

// ---------------------------------------------------------------------------------------
// Vaccination records (GetVaccinationHistory)
// ---------------------------------------------------------------------------------------

xml_struct! {
    /// DoseType: the amount of vaccine given.
    pub struct DoseType("DoseType") in ctx {
        pub quantity: Option<PqType> = opt "quantity",
        pub display_name: String = one "displayName",
    }
}

xml_struct! {
    /// RegistrationRecordType: administrative information about a vaccination
    /// occasion (care giver, source system, date).
    pub struct RegistrationRecordType("RegistrationRecordType") in ctx {
        pub care_giver_org: OrgUnitType = one "careGiverOrg",
        pub care_giver_contact: Option<ActorType> = opt "careGiverContact",
        pub source_system_name: String = one "sourceSystemName",
        pub source_system_product_name: Option<String> = opt "sourceSystemProductName",
        pub source_system_product_version: Option<String> = opt "sourceSystemProductVersion",
        pub source_system_contact: ActorType = one "sourceSystemContact",
        /// The care unit's registration id at the public health agency.
        pub care_unit_smi_id: Option<String> = opt "careUnitSmiId",
        /// The day the vaccinations were given.
        pub date: Date = one "date",
        pub patient_postal_code: Option<String> = opt "patientPostalCode",
        pub vaccination_unstructured_note: Option<String> = opt "vaccinationUnstructuredNote",
        pub risk_category: Vec<CvType> = many "riskCategory",
        pub patient_adverse_effect: Vec<CvType> = many "patientAdverseEffect",
    }
}

xml_struct! {
    /// AdministrationRecordType: one vaccine given (or prescribed) at the occasion.
    pub struct AdministrationRecordType("AdministrationRecordType") in ctx {
        pub vaccination_program_name: Option<CvType> = opt "vaccinationProgramName",
        pub prescriber_org: Option<OrgUnitType> = opt "prescriberOrg",
        pub prescriber_person: Option<ActorType> = opt "prescriberPerson",
        pub performer_org: Option<OrgUnitType> = opt "performerOrg",
        pub performer: Option<ActorType> = opt "performer",
        pub anatomical_site: Option<CvType> = opt "anatomicalSite",
        pub route: Option<CvType> = opt "route",
        pub dose: Option<DoseType> = opt "dose",
        pub is_dose_complete: Option<bool> = opt "isDoseComplete",
        /// Which dose in the series this was.
        pub dose_ordinal_number: Option<Integer> = opt "doseOrdinalNumber",
        pub number_of_prescribed_doses: Option<Integer> = opt "numberOfPrescribedDoses",
        /// Source of a vaccination registered afterwards.
        pub source_description: Option<String> = opt "sourceDescription",
        pub comment_prescription: Option<String> = opt "commentPrescription",
        pub comment_administration: Option<String> = opt "commentAdministration",
        pub patient_adverse_effect: Vec<CvType> = many "patientAdverseEffect",
        pub type_of_vaccine: Option<CvType> = opt "typeOfVaccine",
        pub vaccine_name: Option<CvType> = opt "vaccineName",
        pub vaccine_batch_id: Option<String> = opt "vaccineBatchId",
        pub vaccine_manufacturer: Option<String> = opt "vaccineManufacturer",
        pub vaccine_target_disease: Vec<CvType> = many "vaccineTargetDisease",
        pub vaccination_unique_reference: Option<IiType> = opt "vaccinationUniqueReference",
    }
}

xml_struct! {
    /// VaccinationMedicalRecordBodyType: the occasion and the vaccines given.
    pub struct VaccinationMedicalRecordBodyType("VaccinationMedicalRecordBodyType") in ctx {
        pub registration_record: RegistrationRecordType = one "registrationRecord",
        pub administration_record: Vec<AdministrationRecordType> = many "administrationRecord",
        pub additional_patient_information: Option<AdditionalPatientInformationType> = opt "additionalPatientInformation",
    }
}

xml_struct! {
    /// VaccinationMedicalRecordType: one vaccination record.
    pub struct VaccinationMedicalRecordType("VaccinationMedicalRecordType") in ctx {
        pub vaccination_medical_record_header: PatientSummaryHeaderType = one "vaccinationMedicalRecordHeader",
        pub vaccination_medical_record_body: VaccinationMedicalRecordBodyType = one "vaccinationMedicalRecordBody",
    }
}

// ---------------------------------------------------------------------------------------
// Medication records (GetMedicationHistory): dosage
// ---------------------------------------------------------------------------------------

xml_struct! {
    /// LengthOfTreatmentType: how long the treatment lasts. (The schema gives this type
    /// no extension point.)
    pub struct LengthOfTreatmentType("LengthOfTreatmentType") in ctx {
        pub treatment_interval: PqIntervalType = one "treatmentInterval",
        pub is_maximum_treatment_time: bool = one "isMaximumTreatmentTime",
    }
}

xml_struct! {
    /// FrequencyDosageType: a dose a number of times per period (e.g. 2 doses 3 times a
    /// day).
    pub struct FrequencyDosageType("FrequencyDosageType") in ctx {
        pub dose: PqIntervalType = one "dose",
        pub frequency: PqType = one "frequency",
    }
}

xml_struct! {
    /// PeriodDosageType: a dose every period (e.g. 1 tablet every 8 hours).
    pub struct PeriodDosageType("PeriodDosageType") in ctx {
        pub dose: PqIntervalType = one "dose",
        pub period: PqType = one "period",
    }
}

xml_struct! {
    /// AdministrationOccurrenceType: one administration within an occasion dosage.
    pub struct AdministrationOccurrenceType("AdministrationOccurrenceType") in ctx {
        pub dose: PqIntervalType = one "dose",
        /// Time of day, free text (e.g. `07:30`).
        pub time: Option<String> = opt "time",
        pub day_of_period: i32 = one "dayOfPeriod",
    }
}

xml_struct! {
    /// OccasionDosageType: doses at given times within a repeating period.
    pub struct OccasionDosageType("OccasionDosageType") in ctx {
        pub period: PqType = one "period",
        pub administration: Vec<AdministrationOccurrenceType> = many1 "administration",
    }
}

xml_struct! {
    /// SingleDoseType: one dose, optionally at a given time.
    pub struct SingleDoseType("SingleDoseType") in ctx {
        pub dose: PqIntervalType = one "dose",
        pub time: Option<TimeStamp> = opt "time",
    }
}

xml_struct! {
    /// UnstructuredDosageInformationType: a dosage as free text.
    pub struct UnstructuredDosageInformationType("UnstructuredDosageInformationType") in ctx {
        pub text: String = one "text",
    }
}

xml_struct! {
    /// RampEndpointType: the dosage at the start or end of a ramp.
    pub struct RampEndpointType("RampEndpointType") in ctx {
        pub frequency_dosage: Option<FrequencyDosageType> = opt "frequencyDosage",
        pub period_dosage: Option<PeriodDosageType> = opt "periodDosage",
        pub occasion_dosage: Option<OccasionDosageType> = opt "occasionDosage",
        pub single_dose: Option<SingleDoseType> = opt "singleDose",
        pub unstructured_dosage_information: Option<UnstructuredDosageInformationType> = opt "unstructuredDosageInformation",
    }
}

xml_struct! {
    /// RampedDosageType: a dose stepped up or down over time (titration).
    pub struct RampedDosageType("RampedDosageType") in ctx {
        pub dose_step: PqType = one "doseStep",
        pub time_step: PqType = one "timeStep",
        pub ramp_start: RampEndpointType = one "rampStart",
        pub ramp_end: RampEndpointType = one "rampEnd",
    }
}

xml_struct! {
    /// SetDosageType: the regular dosage (one of the dosage forms should be given).
    pub struct SetDosageType("SetDosageType") in ctx {
        pub frequency_dosage: Option<FrequencyDosageType> = opt "frequencyDosage",
        pub period_dosage: Option<PeriodDosageType> = opt "periodDosage",
        pub occasion_dosage: Option<OccasionDosageType> = opt "occasionDosage",
        pub ramped_dosage: Option<RampedDosageType> = opt "rampedDosage",
        pub single_dose: Option<SingleDoseType> = opt "singleDose",
        pub unstructured_dosage_information: Option<UnstructuredDosageInformationType> = opt "unstructuredDosageInformation",
    }
}

xml_struct! {
    /// MaximumDosageType: the highest dosage allowed.
    pub struct MaximumDosageType("MaximumDosageType") in ctx {
        pub frequency_dosage: Option<FrequencyDosageType> = opt "frequencyDosage",
        pub period_dosage: Option<PeriodDosageType> = opt "periodDosage",
        pub occasion_dosage: Option<OccasionDosageType> = opt "occasionDosage",
        pub ramped_dosage: Option<RampedDosageType> = opt "rampedDosage",
        pub single_dose: Option<SingleDoseType> = opt "singleDose",
        pub unstructured_dosage_information: Option<UnstructuredDosageInformationType> = opt "unstructuredDosageInformation",
    }
}

xml_struct! {
    /// ConditionalDosageType: a dosage that applies under a condition ("vid behov").
    pub struct ConditionalDosageType("ConditionalDosageType") in ctx {
        pub condition_description: String = one "conditionDescription",
        pub frequency_dosage: Option<FrequencyDosageType> = opt "frequencyDosage",
        pub period_dosage: Option<PeriodDosageType> = opt "periodDosage",
        pub occasion_dosage: Option<OccasionDosageType> = opt "occasionDosage",
        pub ramped_dosage: Option<RampedDosageType> = opt "rampedDosage",
        pub single_dose: Option<SingleDoseType> = opt "singleDose",
        pub unstructured_dosage_information: Option<UnstructuredDosageInformationType> = opt "unstructuredDosageInformation",
    }
}

xml_struct! {
    /// DosageType: how the drug is to be taken. In an administration, the TKB rules
    /// forbid `lengthOfTreatment` and `dosageInstruction` and require `setDosage` or
    /// `conditionalDosage`.
    pub struct DosageType("DosageType") in ctx {
        pub length_of_treatment: Option<LengthOfTreatmentType> = opt "lengthOfTreatment",
        pub dosage_instruction: Option<String> = opt "dosageInstruction",
        pub unit_dose: Option<CvType> = opt "unitDose",
        pub short_notation: Option<String> = opt "shortNotation",
        pub set_dosage: Option<SetDosageType> = opt "setDosage",
        pub maximum_dosage: Option<MaximumDosageType> = opt "maximumDosage",
        pub conditional_dosage: Option<ConditionalDosageType> = opt "conditionalDosage",
    }
}

// ---------------------------------------------------------------------------------------
// Medication records: the drug
// ---------------------------------------------------------------------------------------

xml_struct! {
    /// UnstructuredDrugInformationType: the drug as free text.
    pub struct UnstructuredDrugInformationType("UnstructuredDrugInformationType") in ctx {
        pub unstructured_information: String = one "unstructuredInformation",
    }
}

xml_struct! {
    /// MerchandiseType: a non-drug article (e.g. an inhalation chamber) by article
    /// number.
    pub struct MerchandiseType("MerchandiseType") in ctx {
        pub article_number: CvType = one "articleNumber",
    }
}

xml_struct! {
    /// DrugArticleType: a drug package by NPL pack id.
    pub struct DrugArticleType("DrugArticleType") in ctx {
        pub npl_pack_id: CvType = one "nplPackId",
    }
}

xml_struct! {
    /// DrugType: a drug product by NPL id, with ATC code, route, form and strength.
    pub struct DrugType("DrugType") in ctx {
        pub npl_id: CvType = one "nplId",
        pub atc_code: Option<CvType> = opt "atcCode",
        pub route_of_administration: Option<CvType> = opt "routeOfAdministration",
        pub pharmaceutical_form: Option<String> = opt "pharmaceuticalForm",
        pub strength: Option<f64> = opt "strength",
        pub strength_unit: Option<String> = opt "strengthUnit",
    }
}

xml_struct! {
    /// GenericsType: a drug by substance, strength and form.
    pub struct GenericsType("GenericsType") in ctx {
        pub substance: Option<String> = opt "substance",
        pub strength: Option<PqType> = opt "strength",
        pub form: Option<String> = opt "form",
    }
}

xml_struct! {
    /// DrugChoiceType: the drug (exactly one of unstructured information, merchandise,
    /// drug article, drug or generics, by the TKB rules) and its dosages.
    pub struct DrugChoiceType("DrugChoiceType") in ctx {
        pub comment: Option<String> = opt "comment",
        pub unstructured_drug_information: Option<UnstructuredDrugInformationType> = opt "unstructuredDrugInformation",
        pub merchandise: Option<MerchandiseType> = opt "merchandise",
        pub drug_article: Option<DrugArticleType> = opt "drugArticle",
        pub drug: Option<DrugType> = opt "drug",
        pub generics: Option<GenericsType> = opt "generics",
        pub dosage: Vec<DosageType> = many "dosage",
    }
}

impl DrugChoiceType {
    /// How many of the mutually exclusive drug alternatives are given (the TKB rule
    /// wants exactly one in a prescription's or administration's drug).
    pub fn alternatives_given(&self) -> usize {
        usize::from(self.unstructured_drug_information.is_some())
            + usize::from(self.merchandise.is_some())
            + usize::from(self.drug_article.is_some())
            + usize::from(self.drug.is_some())
            + usize::from(self.generics.is_some())
    }
}

// ---------------------------------------------------------------------------------------
// Medication records: prescription, dispensation, administration
// ---------------------------------------------------------------------------------------

xml_struct! {
    /// PrescriptionReasonType: why the drug is prescribed (coded, plus free text).
    pub struct PrescriptionReasonType("PrescriptionReasonType") in ctx {
        pub reason: CvType = one "reason",
        pub other_reason: Option<String> = opt "otherReason",
    }
}

xml_struct! {
    /// DispensationAuthorizationType: the prescription to the pharmacy (förskrivning).
    pub struct DispensationAuthorizationType("DispensationAuthorizationType") in ctx {
        pub dispensation_authorization_id: IiType = one "dispensationAuthorizationId",
        pub valid_until: Option<Date> = opt "validUntil",
        pub receiving_pharmacy: Option<IiType> = opt "receivingPharmacy",
        pub minimum_dispensation_interval: Option<PqType> = opt "minimumDispensationInterval",
        /// Requires `package_unit` (TKB rule), and the other way round.
        pub total_amount: Option<f64> = opt "totalAmount",
        pub package_unit: Option<String> = opt "packageUnit",
        pub distribution_method: Option<String> = opt "distributionMethod",
        pub dispensation_authorizer: HealthcareProfessionalType = one "dispensationAuthorizer",
        pub dispensation_authorizer_comment: Option<String> = opt "dispensationAuthorizerComment",
        pub first_dispensation_before: Option<Date> = opt "firstDispensationBefore",
        /// The dosage text on the label; the schema spells the element
        /// `prescriptionSignatura`.
        pub prescription_signatura: String = one "prescriptionSignatura",
        pub non_replaceable: Option<NonReplaceableEnum> = opt "nonReplaceable",
        /// The drug dispensed; must carry no dosage (TKB rule).
        pub drug: Option<DrugChoiceType> = opt "drug",
    }
}

xml_struct! {
    /// AdministrationType: one administration of the drug to the patient.
    pub struct AdministrationType("AdministrationType") in ctx {
        pub administration_id: IiType = one "administrationId",
        pub administration_time: TimePeriodType = one "administrationTime",
        pub administration_comment: Option<String> = opt "administrationComment",
        pub route_of_administration: Option<CvType> = opt "routeOfAdministration",
        pub administering_healthcare_professional: HealthcareProfessionalType = one "administeringHealthcareProfessional",
        pub drug: Option<DrugChoiceType> = opt "drug",
    }
}

xml_struct! {
    /// ReferredInformationType of the 2.1 extension: a reference to another record
    /// (its id, its type and its owner). Children in [`EXT_NS`].
    pub struct ReferredInformationType("ReferredInformationType") in (EXT_NS) {
        pub id: IiType = one "id",
        pub r#type: CvType = one "type",
        pub information_owner: InformationOwnerType = one "informationOwner",
    }
}

xml_struct! {
    /// RelationType of the 2.1 extension: how the prescription relates to other
    /// records. Children in [`EXT_NS`].
    pub struct RelationType("RelationType") in (EXT_NS) {
        pub code: CvType = one "code",
        pub referred_information: Vec<ReferredInformationType> = many1 "referredInformation",
    }
}

xml_struct! {
    /// MedicationPrescriptionType: one prescription (ordination). Its children are in
    /// the core namespace except the last, `relation`, the 2.1 extension's global
    /// element in [`EXT_NS`].
    pub struct MedicationPrescriptionType("MedicationPrescriptionType") in ctx {
        /// Identifier of the prescription.
        pub prescription_id: IiType = one "prescriptionId",
        /// Insättning or utsättning.
        pub type_of_prescription: TypeOfPrescriptionEnum = one "typeOfPrescription",
        /// Active (last of its chain) or inactive.
        pub prescription_status: PrescriptionStatusEnum = one "prescriptionStatus",
        /// Free-text note.
        pub prescription_note: Option<String> = opt "prescriptionNote",
        /// Main reasons for the prescription.
        pub principal_prescription_reason: Vec<PrescriptionReasonType> = many "principalPrescriptionReason",
        /// Other reasons.
        pub additional_prescription_reason: Vec<PrescriptionReasonType> = many "additionalPrescriptionReason",
        /// Next planned evaluation.
        pub evaluation_time: Option<TimeStamp> = opt "evaluationTime",
        /// Purpose of the treatment, free text.
        pub treatment_purpose: Option<String> = opt "treatmentPurpose",
        /// Identifier of the chain of prescriptions this one belongs to.
        pub prescription_chain_id: Option<IiType> = opt "prescriptionChainId",
        /// The prescription this one replaces.
        pub preceding_prescription_id: Option<IiType> = opt "precedingPrescriptionId",
        /// The prescription that replaces this one.
        pub succeeding_prescription_id: Option<IiType> = opt "succeedingPrescriptionId",
        /// Who prescribed (required unless `self_medication`, by the TKB rules).
        pub prescriber: Option<HealthcareProfessionalType> = opt "prescriber",
        /// Who last evaluated the treatment.
        pub evaluator: Option<HealthcareProfessionalType> = opt "evaluator",
        /// Start of the first treatment of the chain.
        pub start_of_first_treatment: Option<TimeStamp> = opt "startOfFirstTreatment",
        /// Start of this treatment (required for insättning, by the TKB rules).
        pub start_of_treatment: Option<TimeStamp> = opt "startOfTreatment",
        /// End of the treatment.
        pub end_of_treatment: Option<TimeStamp> = opt "endOfTreatment",
        /// Why the treatment ended.
        pub end_of_treatment_reason: Option<CvType> = opt "endOfTreatmentReason",
        /// Whether the patient takes the drug on their own initiative (egenmedicinering).
        pub self_medication: bool = one "selfMedication",
        /// The drug and its dosage (absent for utsättning, by the TKB rules).
        pub drug: Option<DrugChoiceType> = opt "drug",
        /// The prescription to the pharmacy.
        pub dispensation_authorization: Option<DispensationAuthorizationType> = opt "dispensationAuthorization",
        /// Administrations of the drug.
        pub administration: Vec<AdministrationType> = many "administration",
        /// Relations to other records (2.1 extension, in [`EXT_NS`]).
        pub relation: Vec<RelationType> = many "relation" in (EXT_NS),
    }
}

xml_struct! {
    /// MedicationMedicalRecordBodyType: the prescription and patient details.
    pub struct MedicationMedicalRecordBodyType("MedicationMedicalRecordBodyType") in ctx {
        pub medication_prescription: MedicationPrescriptionType = one "medicationPrescription",
        pub additional_patient_information: Option<AdditionalPatientInformationType> = opt "additionalPatientInformation",
    }
}

xml_struct! {
    /// MedicationMedicalRecordType: one medication record.
    pub struct MedicationMedicalRecordType("MedicationMedicalRecordType") in ctx {
        pub medication_medical_record_header: PatientSummaryHeaderType = one "medicationMedicalRecordHeader",
        pub medication_medical_record_body: MedicationMedicalRecordBodyType = one "medicationMedicalRecordBody",
    }
}

impl MedicationMedicalRecordType {
    /// The prescription of this record.
    pub fn prescription(&self) -> &MedicationPrescriptionType {
        &self.medication_medical_record_body.medication_prescription
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_keep_their_lexical_form() {
        assert_eq!(
            Integer::parse(" +3 ").map(|i| i.as_str().to_owned()),
            Some("+3".into())
        );
        assert_eq!(Integer::parse("+3").and_then(|i| i.to_i64()), Some(3));
        assert_eq!(Integer::parse("-12").and_then(|i| i.to_i64()), Some(-12));
        assert!(Integer::parse("123456789012345678901234567890").is_some());
        assert!(Integer::parse("1.0").is_none());
        assert!(Integer::parse("").is_none());
        assert!(Integer::parse("+").is_none());
    }
}
