//! Black-box harness for the school-nurse app: a fresh test PKI, a fresh database
//! (SQLite file, or a PostgreSQL schema when `NPO_TEST_DATABASE_URL` is set), a
//! test-double aggregating platform over mutual TLS answering real typed responses
//! (built with npo-contracts, with a ProcessingStatus header) from two care givers, the
//! app itself on port 0, and a cookie-keeping browser.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{Datelike, NaiveDate};
use diesel::connection::SimpleConnection;
use npo_consumer::config::ConsumerConfig;
use npo_consumer::db;
use npo_contracts::actoutcome::{
    self, ActorType, AdministrationRecordType, MedicationMedicalRecordBodyType,
    MedicationMedicalRecordType, MedicationPrescriptionType, PrescriptionStatusEnum,
    RegistrationRecordType, TypeOfPrescriptionEnum, VaccinationMedicalRecordBodyType,
    VaccinationMedicalRecordType,
};
use npo_contracts::get_care_contacts::{GetCareContacts, GetCareContactsResponse};
use npo_contracts::get_care_documentation::{GetCareDocumentation, GetCareDocumentationResponse};
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::headers::{
    CausingAgent, LastUnsuccessfulSynchError, ProcessingStatus, ProcessingStatusRecord, StatusCode,
};
use npo_contracts::healthcond_basic as basic;
use npo_contracts::healthcond_description::{
    self as desc, DiagnosisBodyType, DiagnosisType, DiagnosisTypeEnum,
};
use npo_contracts::healthcond_description_v3::{
    self as v3, AccessControlHeaderType, AuthorType, CareDocumentationBodyType,
    CareDocumentationType, HeaderType, RecordType, hsa_ii,
};
use npo_contracts::logistics::{self, CareContactBodyType, CareContactType};
use npo_contracts::soap::{self, Envelope, Header};
use npo_contracts::types::common::{HealthcareProfessionalType, OrgUnitType};
use npo_contracts::types::{CvType, PersonIdType, ResultType, TimeStamp};
use npo_contracts::xml::Decimal;
use npo_pki::{InitOptions, Party};

/// The school-health care giver (the users' own).
pub const OWN_GIVER: &str = "SE2120009994-0001";
/// The school-health unit of the users' commission.
pub const OWN_UNIT: &str = "SE2120009994-EHM1";
/// A second unit of the own care giver.
pub const OWN_UNIT_2: &str = "SE2120009994-EHM2";
/// The region running child health care (another care giver).
pub const OTHER_GIVER: &str = "SE2321009991-0001";
/// Its BVC unit.
pub const OTHER_UNIT: &str = "SE2321009991-BVC1";
/// The users.
pub const NURSE: &str = "SE2120009994-P001";
pub const DOCTOR: &str = "SE2120009994-P002";
pub const LOGGER: &str = "SE2120009994-P003";
/// The test password of every user.
pub const PASSWORD: &str = "rätt-lösenord";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Both backends (PostgreSQL only when configured).
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A fresh database; dropped with the value.
pub struct TestDb {
    pub url: String,
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: dir
                    .path()
                    .join("consumer.sqlite")
                    .to_string_lossy()
                    .into_owned(),
                schema: None,
                _dir: dir,
            }),
            Backend::Postgres => {
                let Some(base) = std::env::var("NPO_TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
                else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "NPO_TEST_DATABASE_URL must be set in CI"
                    );
                    eprintln!("SKIPPED PostgreSQL variant: NPO_TEST_DATABASE_URL is not set");
                    return None;
                };
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = db::DbManager::new(&base).open().unwrap();
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
                Some(TestDb {
                    url,
                    schema: Some((base, schema)),
                    _dir: dir,
                })
            }
        }
    }

    /// A raw connection (for fault injection).
    pub fn connect(&self) -> db::DbConn {
        db::DbManager::new(&self.url).open().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut admin) = db::DbManager::new(base).open()
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// A fresh test PKI.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        npo_pki::init(dir.path(), &InitOptions::default()).unwrap();
        Pki { dir }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn ca(&self) -> PathBuf {
        self.path().join(npo_pki::CA_CERT_FILE)
    }
    pub fn cert(&self, party: Party) -> PathBuf {
        self.path().join(party.cert_file())
    }
    pub fn key(&self, party: Party) -> PathBuf {
        self.path().join(party.key_file())
    }
}

/// A valid personnummer for someone born `birth` (serial `nnn`), `YYYYMMDDNNNC`.
pub fn personnummer(birth: NaiveDate, serial: u32) -> String {
    id_number(birth, birth.day(), serial)
}

/// A valid samordningsnummer for someone born `birth` (day + 60).
pub fn samordningsnummer(birth: NaiveDate, serial: u32) -> String {
    id_number(birth, birth.day() + 60, serial)
}

fn id_number(birth: NaiveDate, day: u32, serial: u32) -> String {
    let body = format!(
        "{:02}{:02}{:02}{:03}",
        birth.year() % 100,
        birth.month(),
        day,
        serial
    );
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{}{}{check}", birth.year() / 100, body)
}

/// Today in Sweden.
pub fn today() -> NaiveDate {
    TimeStamp::from_utc(chrono::Utc::now())
        .unwrap()
        .local()
        .date()
}

/// The pupil of the tests: born 2014-05-20.
pub fn pupil_birth() -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 5, 20).unwrap()
}

pub fn pupil() -> String {
    personnummer(pupil_birth(), 982)
}

/// `YYYYMMDDhhmmss` of a date at noon.
pub fn noon(date: NaiveDate) -> TimeStamp {
    TimeStamp::new(date.and_hms_opt(12, 0, 0).unwrap()).unwrap()
}

fn person(patient: &str) -> PersonIdType {
    PersonIdType {
        id: patient.to_owned(),
        r#type: "1.2.752.129.2.1.3.1".to_owned(),
    }
}

fn source_of(giver: &str) -> &'static str {
    if giver == OTHER_GIVER {
        npo_pki::PRODUCER_BVC_HSA_ID
    } else {
        npo_pki::PRODUCER_SCHOOL_HSA_ID
    }
}

/// Who documented, where.
#[derive(Clone)]
pub struct By {
    pub giver: &'static str,
    pub unit: &'static str,
    pub unit_name: &'static str,
    pub author: &'static str,
}

pub const SCHOOL: By = By {
    giver: OWN_GIVER,
    unit: OWN_UNIT,
    unit_name: "Elevhälsan Björkskolan",
    author: "Siv Sköterska",
};
pub const SCHOOL_2: By = By {
    giver: OWN_GIVER,
    unit: OWN_UNIT_2,
    unit_name: "Elevhälsan Lindskolan",
    author: "Lisa Lind",
};
pub const BVC: By = By {
    giver: OTHER_GIVER,
    unit: OTHER_UNIT,
    unit_name: "BVC Vårdcentralen Solbacken",
    author: "Berit BVC-sköterska",
};

fn common_professional(by: &By, time: TimeStamp) -> HealthcareProfessionalType {
    HealthcareProfessionalType {
        author_time: time,
        healthcare_professional_hsa_id: Some(format!("{}-X1", by.giver)),
        healthcare_professional_name: Some(by.author.to_owned()),
        healthcare_professional_role_code: None,
        healthcare_professional_org_unit: Some(OrgUnitType {
            org_unit_hsa_id: Some(by.unit.to_owned()),
            org_unit_name: Some(by.unit_name.to_owned()),
            org_unit_telecom: None,
            org_unit_email: None,
            org_unit_address: None,
            org_unit_location: None,
        }),
        healthcare_professional_care_unit_hsa_id: Some(by.unit.to_owned()),
        healthcare_professional_care_giver_hsa_id: Some(by.giver.to_owned()),
    }
}

/// A diagnosis record.
pub fn diagnosis(id: &str, by: &By, time: TimeStamp, code: &str, name: &str) -> DiagnosisType {
    DiagnosisType {
        diagnosis_header: desc::PatientSummaryHeaderType {
            document_id: id.to_owned(),
            source_system_hsa_id: source_of(by.giver).to_owned(),
            document_title: None,
            document_time: None,
            patient_id: person(&pupil()),
            accountable_healthcare_professional: desc::HealthcareProfessionalType {
                author_time: time,
                healthcare_professional_hsa_id: Some(format!("{}-X1", by.giver)),
                healthcare_professional_name: Some(by.author.to_owned()),
                healthcare_professional_role_code: None,
                healthcare_professional_org_unit: Some(desc::OrgUnitType {
                    org_unit_hsa_id: by.unit.to_owned(),
                    org_unit_name: by.unit_name.to_owned(),
                    org_unit_telecom: None,
                    org_unit_email: None,
                    org_unit_address: None,
                    org_unit_location: None,
                }),
                healthcare_professional_care_unit_hsa_id: Some(by.unit.to_owned()),
                healthcare_professional_care_giver_hsa_id: Some(by.giver.to_owned()),
            },
            legal_authenticator: None,
            approved_for_patient: true,
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        },
        diagnosis_body: DiagnosisBodyType {
            type_of_diagnosis: DiagnosisTypeEnum::Huvuddiagnos,
            chronic_diagnosis: None,
            diagnosis_time: Some(time),
            diagnosis_code: Some(CvType::coded(code, "1.2.752.116.1.1.1.1.3", name)),
            related_diagnosis: Vec::new(),
        },
    }
}

/// A care contact.
pub fn care_contact(id: &str, by: &By, time: TimeStamp, reason: &str) -> CareContactType {
    CareContactType {
        care_contact_header: logistics::PatientSummaryHeaderType {
            document_id: id.to_owned(),
            source_system_hsa_id: source_of(by.giver).to_owned(),
            document_title: None,
            document_time: None,
            patient_id: person(&pupil()),
            accountable_healthcare_professional: common_professional(by, time),
            legal_authenticator: None,
            approved_for_patient: true,
            nullified: None,
            nullified_reason: None,
            care_contact_id: None,
        },
        care_contact_body: CareContactBodyType {
            care_contact_code: Some(CvType::coded("1", "1.2.752.129.2.2.2.25", "Besök")),
            care_contact_reason: Some(reason.to_owned()),
            care_contact_org_unit: None,
            care_contact_time_period: Some(logistics::TimePeriodType {
                start: time,
                end: Some(time),
            }),
            care_contact_status: Some(CvType::text("Avslutad")),
            additional_patient_information: None,
        },
    }
}

/// A prescription (open-ended when `end` is `None`).
pub fn medication(
    id: &str,
    by: &By,
    start: TimeStamp,
    end: Option<TimeStamp>,
    atc: &str,
    name: &str,
) -> MedicationMedicalRecordType {
    MedicationMedicalRecordType {
        medication_medical_record_header: actoutcome::PatientSummaryHeaderType {
            document_id: id.to_owned(),
            source_system_hsa_id: source_of(by.giver).to_owned(),
            document_title: None,
            document_time: None,
            patient_id: person(&pupil()),
            accountable_healthcare_professional: common_professional(by, start),
            legal_authenticator: None,
            approved_for_patient: true,
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        },
        medication_medical_record_body: MedicationMedicalRecordBodyType {
            medication_prescription: MedicationPrescriptionType {
                prescription_id: npo_contracts::types::IiType {
                    root: "1.2.3".to_owned(),
                    extension: Some(id.to_owned()),
                },
                type_of_prescription: TypeOfPrescriptionEnum::Insattning,
                prescription_status: PrescriptionStatusEnum::Active,
                prescription_note: None,
                principal_prescription_reason: Vec::new(),
                additional_prescription_reason: Vec::new(),
                evaluation_time: None,
                treatment_purpose: Some("Astma".to_owned()),
                prescription_chain_id: None,
                preceding_prescription_id: None,
                succeeding_prescription_id: None,
                prescriber: Some(common_professional(by, start)),
                evaluator: None,
                start_of_first_treatment: None,
                start_of_treatment: Some(start),
                end_of_treatment: end,
                end_of_treatment_reason: None,
                self_medication: false,
                drug: Some(actoutcome::DrugChoiceType {
                    comment: None,
                    unstructured_drug_information: None,
                    merchandise: None,
                    drug_article: None,
                    drug: Some(actoutcome::DrugType {
                        npl_id: CvType::coded("19990101000001", "1.2.752.129.2.1.5.1", name),
                        atc_code: Some(CvType::coded(atc, "1.2.752.129.2.2.3.1.1", name)),
                        route_of_administration: None,
                        pharmaceutical_form: None,
                        strength: None,
                        strength_unit: None,
                    }),
                    generics: None,
                    dosage: Vec::new(),
                }),
                dispensation_authorization: None,
                administration: Vec::new(),
                relation: Vec::new(),
            },
            additional_patient_information: None,
        },
    }
}

/// A vaccination.
pub fn vaccination(
    id: &str,
    by: &By,
    date: NaiveDate,
    vaccine: &str,
) -> VaccinationMedicalRecordType {
    let time = noon(date);
    VaccinationMedicalRecordType {
        vaccination_medical_record_header: actoutcome::PatientSummaryHeaderType {
            document_id: id.to_owned(),
            source_system_hsa_id: source_of(by.giver).to_owned(),
            document_title: None,
            document_time: None,
            patient_id: person(&pupil()),
            accountable_healthcare_professional: common_professional(by, time),
            legal_authenticator: None,
            approved_for_patient: true,
            care_contact_id: None,
            nullified: None,
            nullified_reason: None,
        },
        vaccination_medical_record_body: VaccinationMedicalRecordBodyType {
            registration_record: RegistrationRecordType {
                care_giver_org: OrgUnitType {
                    org_unit_hsa_id: Some(by.unit.to_owned()),
                    org_unit_name: Some(by.unit_name.to_owned()),
                    org_unit_telecom: None,
                    org_unit_email: None,
                    org_unit_address: None,
                    org_unit_location: None,
                },
                care_giver_contact: None,
                source_system_name: "Testjournal".to_owned(),
                source_system_product_name: None,
                source_system_product_version: None,
                source_system_contact: ActorType {
                    hsaid: None,
                    person_name: Some("Support".to_owned()),
                    person_email: None,
                    person_telecom: None,
                    person_address: None,
                },
                care_unit_smi_id: None,
                date: npo_contracts::types::Date::new(date).unwrap(),
                patient_postal_code: None,
                vaccination_unstructured_note: None,
                risk_category: Vec::new(),
                patient_adverse_effect: Vec::new(),
            },
            administration_record: vec![AdministrationRecordType {
                vaccination_program_name: None,
                prescriber_org: None,
                prescriber_person: None,
                performer_org: None,
                performer: None,
                anatomical_site: None,
                route: None,
                dose: None,
                is_dose_complete: Some(true),
                dose_ordinal_number: Some(actoutcome::Integer::from(1)),
                number_of_prescribed_doses: None,
                source_description: None,
                comment_prescription: None,
                comment_administration: None,
                patient_adverse_effect: Vec::new(),
                type_of_vaccine: None,
                vaccine_name: Some(CvType::coded("J07", "1.2.752.129.2.2.3.1.1", vaccine)),
                vaccine_batch_id: None,
                vaccine_manufacturer: None,
                vaccine_target_disease: Vec::new(),
                vaccination_unique_reference: None,
            }],
            additional_patient_information: None,
        },
    }
}

/// A care-documentation note.
pub fn note(id: &str, by: &By, time: TimeStamp, title: &str, text: &str) -> CareDocumentationType {
    CareDocumentationType {
        header: HeaderType {
            access_control_header: AccessControlHeaderType {
                accountable_healthcare_provider: Some(hsa_ii(by.giver)),
                accountable_care_unit: Some(hsa_ii(by.unit)),
                patient_id: npo_contracts::types::IiType {
                    root: "1.2.752.129.2.1.3.1".to_owned(),
                    extension: Some(pupil()),
                },
                care_process_id: None,
                block_comparison_time: time,
                approved_for_patient: true,
            },
            source_system_id: hsa_ii(source_of(by.giver)),
            record: RecordType {
                id: npo_contracts::types::IiType {
                    root: "1.2.3".to_owned(),
                    extension: Some(id.to_owned()),
                },
                timestamp: time,
            },
            author: Some(AuthorType {
                id: None,
                name: Some(by.author.to_owned()),
                timestamp: time,
                by_role: None,
                org_unit: Some(OrgUnitType {
                    org_unit_hsa_id: Some(by.unit.to_owned()),
                    org_unit_name: Some(by.unit_name.to_owned()),
                    org_unit_telecom: None,
                    org_unit_email: None,
                    org_unit_address: None,
                    org_unit_location: None,
                }),
            }),
            signature: None,
        },
        body: CareDocumentationBodyType {
            clinical_document_note_code: v3::NoteType::Besoksanteckning.to_cv(),
            clinical_document_note_title: Some(title.to_owned()),
            clinical_document_note_text: Some(text.to_owned()),
            multimedia_entry: None,
            dissenting_opinion: Vec::new(),
        },
    }
}

/// A growth observation (`code` a SNOMED CT code, e.g. 27113001 weight).
pub fn observation(
    id: &str,
    by: &By,
    date: NaiveDate,
    code: &str,
    name: &str,
    value: &str,
    unit: &str,
) -> basic::ObservationGroupType {
    let hsa = |x: &str| basic::IiType::new("1.2.752.129.2.1.4.1", x);
    basic::ObservationGroupType {
        patient: basic::PatientType {
            id: basic::IiType::new("1.2.752.129.2.1.3.1", &pupil()),
            name: None,
            date_of_birth: npo_contracts::types::Date::new(pupil_birth()).unwrap(),
            gender: None,
        },
        performer_role: basic::PerformerRoleType {
            id: None,
            code: basic::CvType::coded("bvc-ssk", "1.2.752.129.2.2.1.4", "Sjuksköterska"),
            person: Some(basic::PersonType {
                id: None,
                name: Some(by.author.to_owned()),
            }),
            care_unit: Some(basic::CareUnitType {
                id: hsa(by.unit),
                name: Some(by.unit_name.to_owned()),
                care_giver: basic::CareGiverType {
                    id: hsa(by.giver),
                    name: None,
                },
            }),
        },
        legal_authenticator: None,
        additional_participant: Vec::new(),
        source_system: basic::SourceSystemType {
            id: hsa(source_of(by.giver)),
        },
        observation: vec![basic::ObservationType {
            id: basic::IiType::new("1.2.3", id),
            r#type: basic::CvType::coded(code, "1.2.752.116.2.1.1", name),
            status: None,
            time: basic::PartialTimePeriodType {
                start: Some(basic::PartialTimeStampType {
                    format: basic::TimeStampTypeFormatEnum::Date,
                    value: basic::PartialTimeStampValue::parse(&date.format("%Y%m%d").to_string())
                        .unwrap(),
                }),
                end: None,
            },
            method: None,
            value: basic::ValueAnyType {
                pq: Some(basic::PqType {
                    value: Decimal::parse(value).unwrap(),
                    unit: unit.to_owned(),
                }),
                ts: None,
                ivl_ts: None,
                cv: None,
            },
            target_site: None,
            value_negation: false,
            description: None,
            approved_for_patient: true,
            registration_time: None,
            relation: Vec::new(),
        }],
    }
}

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The pupil (born 2014-05-20) as child health care and the school recorded them:
/// DTP dose 1 (BVC), HPV dose 1 (school), four growth values and a 4-week visit note
/// (BVC), a school care contact.
pub fn bvc_fixture() -> Fixture {
    let birth = pupil_birth();
    Fixture {
        vaccinations: vec![
            // DTP dose 1 at three months, from the region's BVC.
            vaccination("v-hexa-1", &BVC, ymd(2014, 8, 20), "Infanrix hexa"),
            // HPV dose 1 in school year 5, from the school's own care giver.
            vaccination("v-hpv-1", &SCHOOL, ymd(2025, 10, 1), "Gardasil 9"),
        ],
        observations: vec![
            observation(
                "o-w1",
                &BVC,
                birth + chrono::Duration::days(30),
                "27113001",
                "Kroppsvikt",
                "4.6",
                "kg",
            ),
            observation(
                "o-w2",
                &BVC,
                birth + chrono::Duration::days(370),
                "27113001",
                "Kroppsvikt",
                "10.2",
                "kg",
            ),
            observation(
                "o-l1",
                &BVC,
                birth + chrono::Duration::days(30),
                "248334005",
                "Kroppslängd",
                "55",
                "cm",
            ),
            observation(
                "o-l2",
                &BVC,
                birth + chrono::Duration::days(370),
                "248334005",
                "Kroppslängd",
                "76",
                "cm",
            ),
        ],
        notes: vec![note(
            "n-4v",
            &BVC,
            noon(birth + chrono::Duration::days(28)),
            "Hälsobesök 4 veckor",
            "Välmående barn, ammar bra.",
        )],
        care_contacts: vec![care_contact(
            "c-school",
            &SCHOOL,
            noon(today() - chrono::Duration::days(20)),
            "Hälsosamtal åk 6",
        )],
        ..Fixture::default()
    }
}

/// What the aggregating platform double holds and does.
#[derive(Default, Clone)]
pub struct Fixture {
    pub diagnoses: Vec<DiagnosisType>,
    pub care_contacts: Vec<CareContactType>,
    pub medication: Vec<MedicationMedicalRecordType>,
    pub vaccinations: Vec<VaccinationMedicalRecordType>,
    pub notes: Vec<CareDocumentationType>,
    pub observations: Vec<basic::ObservationGroupType>,
    /// (contract name, source logical address): that source failed for that contract.
    pub failing: Vec<(String, String)>,
}

/// A request the platform double received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub caller: Option<String>,
    pub logical_address: Option<String>,
    /// The period asked for, `(start, end)` as `YYYYMMDD` when given.
    pub period: Option<(String, String)>,
    pub patient: String,
}

#[derive(Default)]
pub struct PlatformState {
    pub fixture: Fixture,
    pub received: Vec<Received>,
}

/// The aggregating platform double.
pub struct FakePlatform {
    pub port: u16,
    pub state: Arc<Mutex<PlatformState>>,
    handle: actix_web::dev::ServerHandle,
}

fn status_for(fixture: &Fixture, contract: &str) -> ProcessingStatus {
    let list = [
        npo_pki::PRODUCER_SCHOOL_HSA_ID,
        npo_pki::PRODUCER_BVC_HSA_ID,
    ]
    .iter()
    .map(|source| {
        let failed = fixture
            .failing
            .iter()
            .any(|(c, s)| c == contract && s == source);
        ProcessingStatusRecord {
            logical_address: (*source).to_owned(),
            status_code: if failed {
                StatusCode::NoDataSynchFailed
            } else {
                StatusCode::DataFromSource
            },
            is_response_from_cache: false,
            is_response_in_synch: !failed,
            last_successful_synch: "20260101120000".to_owned(),
            last_unsuccessful_synch: failed.then(|| "20260101120000".to_owned()),
            last_unsuccessful_synch_error: failed.then(|| LastUnsuccessfulSynchError {
                causing_agent: CausingAgent::ServiceProducer,
                code: "504".to_owned(),
                text: "Timeout".to_owned(),
            }),
        }
    })
    .collect();
    ProcessingStatus {
        processing_status_list: list,
    }
}

fn failed_source(fixture: &Fixture, contract: &str, source: &str) -> bool {
    fixture
        .failing
        .iter()
        .any(|(c, s)| c == contract && s == source)
}

fn keep<T>(fixture: &Fixture, contract: &str, items: &[T], source: impl Fn(&T) -> String) -> Vec<T>
where
    T: Clone,
{
    items
        .iter()
        .filter(|item| !failed_source(fixture, contract, &source(item)))
        .cloned()
        .collect()
}

fn envelope<B: npo_contracts::xml::XmlRoot>(status: ProcessingStatus, body: B) -> String {
    soap::encode(&Envelope {
        header: Header {
            logical_address: None,
            processing_status: Some(status),
        },
        body,
    })
}

async fn aggregate(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<PlatformState>>>,
) -> HttpResponse {
    let path = req.path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    let caller = npo_pki::peer_identity(&req).and_then(|p| p.hsa_id.clone());
    let contract = path.split('/').rev().nth(2).unwrap_or_default().to_owned();
    let fixture = state.lock().unwrap().fixture.clone();
    let status = status_for(&fixture, &contract);
    let (logical_address, period, patient, xml) = match contract.as_str() {
        "GetDiagnosis" => {
            let env = soap::decode_request::<GetDiagnosis>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.time_period
                    .map(|p| (p.start.to_string(), p.end.to_string())),
                r.patient_id.id.clone(),
                envelope(
                    status,
                    GetDiagnosisResponse {
                        diagnosis: keep(&fixture, &contract, &fixture.diagnoses, |d| {
                            d.diagnosis_header.source_system_hsa_id.clone()
                        }),
                        result: Some(ResultType::ok("agp")),
                    },
                ),
            )
        }
        "GetCareContacts" => {
            let env = soap::decode_request::<GetCareContacts>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.date_period
                    .map(|p| (p.start.to_string(), p.end.to_string())),
                r.patient_id.id.clone(),
                envelope(
                    status,
                    GetCareContactsResponse {
                        care_contact: keep(&fixture, &contract, &fixture.care_contacts, |c| {
                            c.care_contact_header.source_system_hsa_id.clone()
                        }),
                        result: ResultType::ok("agp"),
                    },
                ),
            )
        }
        "GetMedicationHistory" => {
            let env = soap::decode_request::<GetMedicationHistory>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.date_period.map(|p| {
                    (
                        p.start.map(|d| d.to_string()).unwrap_or_default(),
                        p.end.map(|d| d.to_string()).unwrap_or_default(),
                    )
                }),
                r.patient_id.id.clone(),
                envelope(
                    status,
                    GetMedicationHistoryResponse {
                        medication_medical_record: keep(
                            &fixture,
                            &contract,
                            &fixture.medication,
                            |m| {
                                m.medication_medical_record_header
                                    .source_system_hsa_id
                                    .clone()
                            },
                        ),
                        result: ResultType::ok("agp"),
                    },
                ),
            )
        }
        "GetVaccinationHistory" => {
            let env = soap::decode_request::<GetVaccinationHistory>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.time_period.map(|p| {
                    (
                        p.start.map(|d| d.to_string()).unwrap_or_default(),
                        p.end.map(|d| d.to_string()).unwrap_or_default(),
                    )
                }),
                r.patient_id.id.clone(),
                envelope(
                    status,
                    GetVaccinationHistoryResponse {
                        vaccination_medical_record: keep(
                            &fixture,
                            &contract,
                            &fixture.vaccinations,
                            |v| {
                                v.vaccination_medical_record_header
                                    .source_system_hsa_id
                                    .clone()
                            },
                        ),
                        result: ResultType::ok("agp"),
                    },
                ),
            )
        }
        "GetCareDocumentation" => {
            let env = soap::decode_request::<GetCareDocumentation>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.date_period
                    .map(|p| (p.start.to_string(), p.end.to_string())),
                r.patient_id.extension.clone().unwrap_or_default(),
                envelope(
                    status,
                    GetCareDocumentationResponse {
                        care_documentation: keep(&fixture, &contract, &fixture.notes, |n| {
                            v3::hsa_id_of(&n.header.source_system_id)
                                .unwrap_or_default()
                                .to_owned()
                        }),
                        has_more: Vec::new(),
                        result: v3::ResultType::ok(),
                    },
                ),
            )
        }
        "GetObservations" => {
            let env = soap::decode_request::<GetObservations>(&body).unwrap();
            let r = env.body;
            (
                env.header.logical_address,
                r.time.map(|p| {
                    (
                        p.start.map(|d| d.date().to_string()).unwrap_or_default(),
                        p.end.map(|d| d.date().to_string()).unwrap_or_default(),
                    )
                }),
                r.patient_id.extension.clone(),
                envelope(
                    status,
                    GetObservationsResponse {
                        observation_group: keep(&fixture, &contract, &fixture.observations, |o| {
                            o.source_system.id.extension.clone()
                        }),
                    },
                ),
            )
        }
        other => panic!("unexpected contract {other} at {path}"),
    };
    state.lock().unwrap().received.push(Received {
        path,
        headers,
        caller,
        logical_address,
        period,
        patient,
    });
    HttpResponse::Ok()
        .content_type("text/xml; charset=UTF-8")
        .body(xml)
}

impl FakePlatform {
    pub fn start(pki: &Pki) -> FakePlatform {
        let acceptor = npo_pki::mtls_acceptor(
            pki.cert(Party::Platform),
            pki.key(Party::Platform),
            pki.ca(),
        )
        .unwrap();
        let state = Arc::new(Mutex::new(PlatformState::default()));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(aggregate))
        })
        .on_connect(npo_pki::peer_identity_on_connect)
        .workers(1)
        .bind_openssl("127.0.0.1:0", acceptor)
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        FakePlatform {
            port,
            state,
            handle,
        }
    }

    pub fn set(&self, fixture: Fixture) {
        self.state.lock().unwrap().fixture = fixture;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn clear_received(&self) {
        self.state.lock().unwrap().received.clear();
    }
}

impl Drop for FakePlatform {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// A fast argon2 hash of [`PASSWORD`] (low cost parameters: tests only).
pub fn test_hash() -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(1024, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"test-salt-16byte").unwrap();
    argon
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// The configuration the tests start from.
pub fn config_text(pki: &Pki, platform_port: u16, db_url: &str) -> String {
    let hash = test_hash();
    let p = |x: PathBuf| x.to_string_lossy().replace('\\', "/");
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
workers = 2

[platform]
url = "https://localhost:{platform_port}/vp"
consumer_hsa_id = "{consumer}"
cert = "{cert}"
key = "{key}"
ca = "{ca}"
timeout_ms = 10000

[database]
url = "{db_url}"
migrate_on_start = true

[session]
idle_timeout_seconds = 600

[[units]]
hsa_id = "{OWN_GIVER}"
name = "Testkommunen"

[[units]]
hsa_id = "{OWN_UNIT}"
name = "Elevhälsan Björkskolan"
kind = "elevhalsa"

[[units]]
hsa_id = "{OTHER_GIVER}"
name = "Region Test"

[[units]]
hsa_id = "{OTHER_UNIT}"
name = "BVC Solbacken"
kind = "bvc"

[[units]]
hsa_id = "{bvc_source}"
name = "BVC-journalen"

[[staff]]
hsa_id = "{NURSE}"
username = "sara"
name = "Sara Sköterska"
role = "skolskoterska"
password_hash = "{hash}"
[[staff.commissions]]
care_giver = "{OWN_GIVER}"
care_unit = "{OWN_UNIT}"
purpose = "vard_och_behandling"

[[staff]]
hsa_id = "{DOCTOR}"
username = "lars"
name = "Lars Läkare"
role = "skolakare"
password_hash = "{hash}"
[[staff.commissions]]
care_giver = "{OWN_GIVER}"
care_unit = "{OWN_UNIT}"
purpose = "vard_och_behandling"
[[staff.commissions]]
care_giver = "{OWN_GIVER}"
care_unit = "{OWN_UNIT_2}"
purpose = "vard_och_behandling"

[[staff]]
hsa_id = "{LOGGER}"
username = "logg"
name = "Lina Logg"
role = "logguppfoljare"
password_hash = "{hash}"
[[staff.commissions]]
care_giver = "{OWN_GIVER}"
care_unit = "{OWN_UNIT}"
purpose = "uppfoljning"

[[views]]
slug = "skolstart"
name = "Skolstart"
types = ["vaccinationer", "observationer", "anteckningar"]
unit_kinds = ["bvc"]
window = "from_birth"

[[views]]
slug = "aktuell-medicinering"
name = "Aktuell medicinering"
types = ["lakemedel"]
code_prefixes = ["R03"]
current_only = true
"#,
        consumer = npo_pki::CONSUMER_HSA_ID,
        cert = p(pki.cert(Party::Consumer)),
        key = p(pki.key(Party::Consumer)),
        ca = p(pki.ca()),
        bvc_source = npo_pki::PRODUCER_BVC_HSA_ID,
    )
}

/// Everything a test needs: PKI, platform double, database, the app.
pub struct TestApp {
    pub port: u16,
    pub pki: Pki,
    pub platform: FakePlatform,
    pub db: TestDb,
    pub config: ConsumerConfig,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// Starts on `backend` (None: PostgreSQL not configured).
    pub fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {})
    }

    pub fn start_with(
        backend: Backend,
        tweak: impl FnOnce(&mut ConsumerConfig),
    ) -> Option<TestApp> {
        let db = TestDb::new(backend)?;
        let pki = Pki::new();
        let platform = FakePlatform::start(&pki);
        let mut config = ConsumerConfig::parse(&config_text(&pki, platform.port, &db.url)).unwrap();
        tweak(&mut config);
        config.validate().unwrap();
        let app = npo_consumer::startup::Application::build(config.clone()).unwrap();
        let port = app.port();
        let server = app.into_server();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Some(TestApp {
            port,
            pki,
            platform,
            db,
            config,
            handle,
        })
    }

    pub fn browser(&self) -> Browser {
        Browser::new(format!("http://127.0.0.1:{}", self.port))
    }

    /// A browser logged in as `username`, commission chosen when needed.
    pub async fn logged_in(&self, username: &str) -> Browser {
        let mut b = self.browser();
        b.login(username, PASSWORD).await;
        b
    }

    /// The access log as CSV rows (header dropped), read by the log follow-up user.
    pub async fn log_rows(&self) -> Vec<Vec<String>> {
        let mut b = self.logged_in("logg").await;
        let page = b.get("/logg").await;
        let token = page.token_for("/logg/csv");
        let csv = b
            .post(
                "/logg/csv",
                &[
                    ("csrf", &token),
                    ("user", ""),
                    ("pupil", ""),
                    ("from", ""),
                    ("to", ""),
                ],
            )
            .await;
        assert_eq!(csv.status, 200, "{}", csv.body);
        csv.body.lines().skip(1).map(parse_csv_line).collect()
    }

    /// The access-log rows of journal pages (the PDL status page's rows dropped).
    pub async fn journal_log_rows(&self) -> Vec<Vec<String>> {
        let mut rows = self.log_rows().await;
        rows.retain(|r| r[8] != "behorighet");
        rows
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// One `;`-separated line with `"`-quoted fields.
pub fn parse_csv_line(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (';', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: HashMap<String, Vec<String>>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The CSRF token of the form posting to `action`.
    pub fn token_for(&self, action: &str) -> String {
        let marker = format!("action=\"{action}\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no form posting to {action} in:\n{}", self.body));
        let rest = &self.body[start..];
        let value = rest
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no token in the form posting to {action}"));
        value.split('"').next().unwrap().to_owned()
    }
}

/// A browser that keeps the session cookie and does not follow redirects.
pub struct Browser {
    base: String,
    client: awc::Client,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(base: String) -> Browser {
        Browser {
            base,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            cookie: None,
        }
    }

    pub fn with_client(base: String, client: awc::Client) -> Browser {
        Browser {
            base,
            client,
            cookie: None,
        }
    }

    async fn finish(
        &mut self,
        mut response: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
        >,
    ) -> Page {
        let mut headers: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in response.headers() {
            headers
                .entry(k.as_str().to_owned())
                .or_default()
                .push(v.to_str().unwrap_or("?").to_owned());
        }
        for set in headers.get("set-cookie").cloned().unwrap_or_default() {
            if let Some(rest) = set.strip_prefix("npo_session=") {
                let value = rest.split(';').next().unwrap_or_default().to_owned();
                self.cookie = (!value.is_empty()).then_some(value);
            }
        }
        let body = response.body().limit(16 * 1024 * 1024).await.unwrap();
        Page {
            status: response.status().as_u16(),
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.insert_header(("cookie", format!("npo_session={cookie}")));
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut request = self.client.post(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.insert_header(("cookie", format!("npo_session={cookie}")));
        }
        let response = request.send_form(&form).await.unwrap();
        self.finish(response).await
    }

    /// Logs in (and picks the first commission when asked to).
    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let token = page.token_for("/login");
        let answer = self
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        if answer.status == 303 && answer.location() == "/uppdrag" {
            let picker = self.get("/uppdrag").await;
            let token = picker.token_for("/uppdrag");
            let chosen = self
                .post("/uppdrag", &[("csrf", &token), ("uppdrag", "0")])
                .await;
            assert_eq!(chosen.status, 303);
        }
        answer
    }

    /// Searches a pupil; returns the handle (`/elev/{handle}`).
    pub async fn open_pupil(&mut self, number: &str) -> String {
        let form = self.get("/elev").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.token_for("/elev");
        let answer = self
            .post("/elev", &[("csrf", &token), ("personnummer", number)])
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        answer.location().strip_prefix("/elev/").unwrap().to_owned()
    }

    /// Posts a form found on the pupil's status page.
    pub async fn pupil_form(
        &mut self,
        handle: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let status = self.get(&format!("/elev/{handle}")).await;
        assert_eq!(status.status, 200, "{}", status.body);
        let full = format!("/elev/{handle}/{action}");
        let token = status.token_for(&full);
        let mut form: Vec<(&str, &str)> = vec![("csrf", &token)];
        form.extend_from_slice(fields);
        self.post(&full, &form).await
    }

    pub async fn register_relation(&mut self, handle: &str) {
        let answer = self
            .pupil_form(
                handle,
                "vardrelation",
                &[("reason", "Hälsobesök i förskoleklass")],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }

    pub async fn register_consent(&mut self, handle: &str, fields: &[(&str, &str)]) -> Page {
        self.pupil_form(handle, "samtycke", fields).await
    }
}
