//! Deterministic demo and test data: a school-health journal and a child-health (BVC)
//! journal for a class of pupils, as one [`ImportDocument`].
//!
//! Every pupil gets a valid test personnummer (serial numbers 980–999, the test series;
//! a few samordningsnummer for newly arrived pupils), a BVC history from birth following
//! the child-health basprogram (visits, growth, vaccinations, a summary note before school
//! start) and a school-health history (health visits in förskoleklass and years 2, 4, 6, 8
//! and upper secondary year 1, school vaccinations, open-clinic visits and telephone
//! contacts, notes, and for a minority diagnoses and medications).
//!
//! The same [`SeedOptions`] always give the same document: all randomness comes from one
//! `ChaCha8Rng` seeded with [`SeedOptions::seed`] (ChaCha's output is specified, so the
//! data stays the same across platforms and `rand` releases). Every event lies strictly
//! before [`SeedOptions::today`] (Swedish local time, weekdays, office hours), so nothing
//! is ever in the future, and every record passes its [`JournalRecord::validate`].

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use npo_contracts::types::{PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID, TimeStamp};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::import::{ImportDocument, ImportRecord};
use crate::records::JournalRecord;
use crate::records::care_contact::CareContactRecord;
use crate::records::care_documentation::CareDocumentationRecord;
use crate::records::diagnosis::{DiagnosisRecord, ICD10_SE};
use crate::records::medication::MedicationRecord;
use crate::records::observation::ObservationRecord;
use crate::records::vaccination::VaccinationRecord;

/// What to generate, and for which source systems and organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// Seed of the random generator: the same seed gives the same document.
    pub seed: u64,
    /// How many pupils.
    pub pupils: usize,
    /// The day the data is generated for: pupils are 6–16 years old on this day and
    /// every event lies before it.
    pub today: NaiveDate,
    /// Source system HSA-ID of the school-health journal.
    pub school_source_system: String,
    /// Source system HSA-ID of the BVC journal (may equal the school's).
    pub bvc_source_system: String,
    /// HSA-ID of the school-health care unit (elevhälsans medicinska insats).
    pub school_care_unit_hsa_id: String,
    /// HSA-ID of the school-health care giver (the municipality).
    pub school_care_giver_hsa_id: String,
    /// HSA-ID of the BVC care unit.
    pub bvc_care_unit_hsa_id: String,
    /// HSA-ID of the BVC care giver (the region).
    pub bvc_care_giver_hsa_id: String,
}

impl SeedOptions {
    /// Options with the care units and care givers derived from the source systems'
    /// organisation prefixes (the part before the first `-`): care giver `<org>-0001`,
    /// care unit `<org>-EHM1` (school) or `<org>-BVC1` (BVC).
    pub fn for_source_systems(
        seed: u64,
        pupils: usize,
        today: NaiveDate,
        school_source_system: &str,
        bvc_source_system: &str,
    ) -> Self {
        let school = org_prefix(school_source_system);
        let bvc = org_prefix(bvc_source_system);
        SeedOptions {
            seed,
            pupils,
            today,
            school_source_system: school_source_system.to_owned(),
            bvc_source_system: bvc_source_system.to_owned(),
            school_care_unit_hsa_id: format!("{school}-EHM1"),
            school_care_giver_hsa_id: format!("{school}-0001"),
            bvc_care_unit_hsa_id: format!("{bvc}-BVC1"),
            bvc_care_giver_hsa_id: format!("{bvc}-0001"),
        }
    }
}

/// The organisation part of an HSA-ID (before the first `-`).
fn org_prefix(hsa_id: &str) -> &str {
    hsa_id.split('-').next().unwrap_or(hsa_id)
}

/// Today's date in Sweden (Europe/Stockholm).
pub fn swedish_today() -> NaiveDate {
    let now = chrono::Utc::now();
    TimeStamp::from_utc(now).map_or_else(|| now.date_naive(), |t| t.date().date())
}

/// Legal sex as the personnummer encodes it (the ninth digit: odd for male).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Odd ninth digit.
    Male,
    /// Even ninth digit.
    Female,
}

/// One generated pupil (test identity numbers only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededPupil {
    /// 12-digit test personnummer or samordningsnummer.
    pub patient_id: String,
    /// Its identifier type OID.
    pub patient_id_type: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Age in whole years on `today`.
    pub age: u32,
    /// School year on `today`: 0 förskoleklass, 1–9 grundskola, 10–12 gymnasiet år 1–3.
    pub school_year: i32,
    /// Newly arrived (samordningsnummer, no Swedish BVC history): the arrival date.
    pub arrived: Option<NaiveDate>,
}

/// A generated document with the pupils it describes.
#[derive(Debug)]
pub struct SeedOutput {
    /// The records to import.
    pub document: ImportDocument,
    /// The pupils, in generation order.
    pub pupils: Vec<SeededPupil>,
}

/// Generates the document for `options` (see the module documentation).
pub fn generate(options: &SeedOptions) -> ImportDocument {
    generate_with_pupils(options).document
}

/// [`generate`], also returning the pupils.
pub fn generate_with_pupils(options: &SeedOptions) -> SeedOutput {
    let mut generator = Generator::new(options);
    let mut pupils = Vec::with_capacity(options.pupils);
    for index in 0..options.pupils {
        let pupil = generator.pupil(index);
        generator.bvc_history(&pupil);
        generator.school_history(&pupil);
        pupils.push(SeededPupil {
            patient_id: pupil.id.clone(),
            patient_id_type: pupil.id_type.to_owned(),
            birth_date: pupil.birth,
            sex: pupil.sex,
            age: age_on(pupil.birth, options.today),
            school_year: school_year_on(pupil.birth, options.today),
            arrived: pupil.arrived,
        });
    }
    SeedOutput {
        document: ImportDocument {
            records: generator.records,
            deletions: Vec::new(),
        },
        pupils,
    }
}

/// How many records of each kind (`JournalRecord::KIND`) a document holds, in a fixed
/// order.
pub fn record_counts(document: &ImportDocument) -> Vec<(&'static str, usize)> {
    let mut counts = [
        (DiagnosisRecord::KIND, 0),
        (CareContactRecord::KIND, 0),
        (MedicationRecord::KIND, 0),
        (VaccinationRecord::KIND, 0),
        (CareDocumentationRecord::KIND, 0),
        (ObservationRecord::KIND, 0),
    ];
    for record in &document.records {
        let slot = match record {
            ImportRecord::Diagnosis(_) => 0,
            ImportRecord::CareContact(_) => 1,
            ImportRecord::Medication(_) => 2,
            ImportRecord::Vaccination(_) => 3,
            ImportRecord::CareDocumentation(_) => 4,
            ImportRecord::Observation(_) => 5,
        };
        counts[slot].1 += 1;
    }
    counts.to_vec()
}

/// A 12-digit test identity number `YYYYMMDDNNNC` for `birth` with serial `serial`
/// (three digits, 980–999 for the test series) and the Luhn check digit; with
/// `samordningsnummer` the day is raised by 60.
pub fn test_identity_number(birth: NaiveDate, serial: u16, samordningsnummer: bool) -> String {
    let day = birth.day() + if samordningsnummer { 60 } else { 0 };
    let nine = format!(
        "{:02}{:02}{:02}{:03}",
        birth.year().rem_euclid(100),
        birth.month(),
        day,
        serial % 1000
    );
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0') * if index % 2 == 0 { 2 } else { 1 };
            digit / 10 + digit % 10
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{:04}{}{check}", birth.year(), &nine[2..])
}

/// Age in whole years on `day`.
fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    day.years_since(birth).unwrap_or(0)
}

/// The school year (0 = förskoleklass) on `day` of a pupil born on `birth`; school years
/// start in August.
fn school_year_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let start_year = if day.month() >= 8 {
        day.year()
    } else {
        day.year() - 1
    };
    start_year - (birth.year() + 6)
}

/// A date that exists (callers pass days ≤ 28).
fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// `YYYYMMDDhhmmss`.
fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// A decimal with one decimal, as the import format writes it (`62.8`).
fn dec1(value: f64) -> String {
    format!("{value:.1}")
}

/// Swedish written form of a decimal with `places` decimals (`62,8`).
fn sv(value: f64, places: usize) -> String {
    format!("{value:.places$}").replace('.', ",")
}

// ---------------------------------------------------------------------------------------
// Code systems and fixed vocabulary
// ---------------------------------------------------------------------------------------

/// SNOMED CT: length of body.
const LENGTH: (&str, &str) = ("248334005", "Kroppslängd");
/// SNOMED CT: body weight.
const WEIGHT: (&str, &str) = ("27113001", "Kroppsvikt");
/// SNOMED CT: head circumference.
const HEAD: (&str, &str) = ("363812007", "Huvudomfång");
/// SNOMED CT: body mass index.
const BMI: (&str, &str) = ("60621009", "BMI");

/// SNOMED CT route codes.
const INTRAMUSCULAR: (&str, &str) = ("78421000", "Intramuskulär");
const ORAL: (&str, &str) = ("26643006", "Oral");

/// KV Vårdkontakttyp.
const VISIT: &str = "1";
const PHONE: &str = "2";
/// Care contact status of a contact that took place.
const FINISHED: &str = "Avslutad";

/// A vaccine of the programme: ATC code and name, and the product used.
#[derive(Debug, Clone, Copy)]
struct Vaccine {
    atc: &'static str,
    atc_name: &'static str,
    short: &'static str,
    product: &'static str,
    oral: bool,
}

const ROTAVIRUS: Vaccine = Vaccine {
    atc: "J07BH01",
    atc_name: "Rotavirus, levande försvagat",
    short: "Rotavirus",
    product: "Rotarix",
    oral: true,
};
const HEXAVALENT: [&str; 2] = ["Infanrix hexa", "Hexyon"];
const PNEUMOCOCCAL: [&str; 2] = ["Prevenar 13", "Synflorix"];
const MPR: [&str; 2] = ["M-M-RvaxPro", "Priorix"];
const DTAP_IPV: [&str; 2] = ["Tetraxim", "Infanrix-Polio"];
const DTAP: [&str; 2] = ["Boostrix", "Triaxis"];

/// The products a region or municipality has procured, chosen once per document.
#[derive(Debug, Clone, Copy)]
struct Products {
    hexavalent: Vaccine,
    pneumococcal: Vaccine,
    mpr: Vaccine,
    dtap_ipv: Vaccine,
    hpv: Vaccine,
    dtap: Vaccine,
}

impl Products {
    fn choose(rng: &mut ChaCha8Rng) -> Self {
        let mut pick = |list: [&'static str; 2]| list[rng.random_range(0..2)];
        Products {
            hexavalent: Vaccine {
                atc: "J07CA09",
                atc_name: "Difteri-Haemophilus influenzae B-pertussis-polio-tetanus-hepatit B",
                short: "DTP-IPV-Hib-HepB",
                product: pick(HEXAVALENT),
                oral: false,
            },
            pneumococcal: Vaccine {
                atc: "J07AL02",
                atc_name: "Pneumokock, renat polysackaridantigen konjugerat",
                short: "Pneumokock",
                product: pick(PNEUMOCOCCAL),
                oral: false,
            },
            mpr: Vaccine {
                atc: "J07BD52",
                atc_name: "Mässling, kombinationer med påssjuka och röda hund, levande försvagat",
                short: "MPR",
                product: pick(MPR),
                oral: false,
            },
            dtap_ipv: Vaccine {
                atc: "J07CA02",
                atc_name: "Difteri-pertussis-polio-tetanus",
                short: "DTP-IPV",
                product: pick(DTAP_IPV),
                oral: false,
            },
            hpv: Vaccine {
                atc: "J07BM03",
                atc_name: "Papillomvirus (human typ 6, 11, 16, 18, 31, 33, 45, 52, 58)",
                short: "HPV",
                product: "Gardasil 9",
                oral: false,
            },
            dtap: Vaccine {
                atc: "J07AJ52",
                atc_name: "Pertussis, renat antigen, kombinationer med toxoider",
                short: "dTp",
                product: pick(DTAP),
                oral: false,
            },
        }
    }
}

/// A member of staff: HSA-ID, name and KV Befattning role (1.2.752.129.2.2.1.4).
#[derive(Debug, Clone)]
struct Staff {
    hsa_id: String,
    name: &'static str,
    role_code: &'static str,
    role_name: &'static str,
}

/// One journal: source system, organisation and staff.
#[derive(Debug, Clone)]
struct Journal {
    source_system: String,
    care_unit: String,
    care_unit_name: &'static str,
    care_giver: String,
    care_giver_name: &'static str,
    system_name: &'static str,
    /// Document id infix.
    tag: &'static str,
}

/// Who wrote a record, where, and when.
#[derive(Debug, Clone, Copy)]
struct Author<'a> {
    journal: &'a Journal,
    staff: &'a Staff,
    at: NaiveDateTime,
}

/// The common header, to spread into a record (see [`build!`]).
#[derive(Debug)]
struct Head {
    document_id: String,
    source_system_hsa_id: String,
    patient_id: String,
    patient_id_type: String,
    author_time: String,
    author_hsa_id: Option<String>,
    author_name: Option<String>,
    author_role_code: Option<String>,
    author_role_name: Option<String>,
    author_org_unit_hsa_id: Option<String>,
    author_org_unit_name: Option<String>,
    care_unit_hsa_id: String,
    care_giver_hsa_id: String,
    legal_authenticator_hsa_id: Option<String>,
    legal_authenticator_name: Option<String>,
    signature_time: Option<String>,
    approved_for_patient: bool,
    care_contact_id: Option<String>,
}

/// Builds a record of type `$ty` from a [`Head`] and the body fields.
macro_rules! build {
    ($ty:ident, $head:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let head: Head = $head;
        $ty {
            document_id: head.document_id,
            source_system_hsa_id: head.source_system_hsa_id,
            patient_id: head.patient_id,
            patient_id_type: head.patient_id_type,
            author_time: head.author_time,
            author_hsa_id: head.author_hsa_id,
            author_name: head.author_name,
            author_role_code: head.author_role_code,
            author_role_name: head.author_role_name,
            author_org_unit_hsa_id: head.author_org_unit_hsa_id,
            author_org_unit_name: head.author_org_unit_name,
            care_unit_hsa_id: head.care_unit_hsa_id,
            care_giver_hsa_id: head.care_giver_hsa_id,
            legal_authenticator_hsa_id: head.legal_authenticator_hsa_id,
            legal_authenticator_name: head.legal_authenticator_name,
            signature_time: head.signature_time,
            approved_for_patient: head.approved_for_patient,
            care_contact_id: head.care_contact_id,
            nullified: false,
            nullified_reason: None,
            $($field: $value,)*
        }
    }};
}

// ---------------------------------------------------------------------------------------
// Pupils
// ---------------------------------------------------------------------------------------

/// Health conditions a pupil may have (a minority each).
#[derive(Debug, Clone, Copy, Default)]
struct Conditions {
    asthma: bool,
    adhd: bool,
    myopia: bool,
    eczema: bool,
    obesity: bool,
}

/// Gaps in the vaccination history.
#[derive(Debug, Clone, Copy, Default)]
struct Gaps {
    /// Guardians declined MPR (both doses).
    declined_mpr: bool,
    /// Absent on the school's MPR day; caught up later or not at all.
    missed_mpr2: bool,
    /// The 5-year DTP-IPV booster was not given.
    missed_booster: bool,
    /// HPV declined.
    declined_hpv: bool,
    /// Absent on the year-8 dTp day.
    missed_dtap: bool,
}

#[derive(Debug, Clone)]
struct Pupil {
    index: usize,
    id: String,
    id_type: &'static str,
    birth: NaiveDate,
    sex: Sex,
    /// Newly arrived pupils (samordningsnummer): no BVC history in Sweden.
    arrived: Option<NaiveDate>,
    /// Individual growth: standard deviation scores.
    z_length: f64,
    z_weight: f64,
    z_head: f64,
    conditions: Conditions,
    gaps: Gaps,
    /// Which BVC nurse follows the child.
    bvc_nurse: usize,
}

// ---------------------------------------------------------------------------------------
// Growth (approximations of the Swedish reference curves, median by age in months)
// ---------------------------------------------------------------------------------------

/// (months, length cm, weight kg, head circumference cm)
const BOYS: [(f64, f64, f64, f64); 29] = [
    (0.0, 50.5, 3.55, 35.0),
    (1.0, 54.5, 4.5, 37.3),
    (2.0, 58.5, 5.6, 39.1),
    (3.0, 61.5, 6.4, 40.5),
    (4.0, 64.0, 7.0, 41.6),
    (5.0, 66.0, 7.6, 42.6),
    (6.0, 68.0, 8.0, 43.4),
    (8.0, 71.0, 8.7, 44.6),
    (10.0, 73.8, 9.3, 45.5),
    (12.0, 76.3, 9.9, 46.2),
    (15.0, 79.7, 10.5, 47.0),
    (18.0, 82.7, 11.1, 47.6),
    (24.0, 88.0, 12.3, 48.4),
    (30.0, 92.5, 13.3, 49.0),
    (36.0, 96.5, 14.4, 49.5),
    (48.0, 104.0, 16.6, 50.2),
    (60.0, 111.0, 18.9, 50.8),
    (72.0, 117.5, 21.3, 51.3),
    (84.0, 124.0, 24.0, 51.7),
    (96.0, 130.0, 27.0, 52.1),
    (108.0, 135.5, 30.2, 52.4),
    (120.0, 141.0, 33.8, 52.8),
    (132.0, 146.5, 37.5, 53.1),
    (144.0, 152.5, 42.0, 53.5),
    (156.0, 159.5, 47.5, 54.0),
    (168.0, 166.5, 53.5, 54.6),
    (180.0, 172.5, 59.0, 55.2),
    (192.0, 176.5, 63.5, 55.7),
    (204.0, 178.5, 66.5, 56.0),
];

const GIRLS: [(f64, f64, f64, f64); 29] = [
    (0.0, 49.7, 3.45, 34.3),
    (1.0, 53.5, 4.2, 36.5),
    (2.0, 57.2, 5.1, 38.2),
    (3.0, 60.0, 5.8, 39.5),
    (4.0, 62.4, 6.4, 40.6),
    (5.0, 64.4, 6.9, 41.5),
    (6.0, 66.3, 7.3, 42.3),
    (8.0, 69.4, 8.0, 43.5),
    (10.0, 72.2, 8.6, 44.4),
    (12.0, 74.7, 9.2, 45.1),
    (15.0, 78.2, 9.8, 45.9),
    (18.0, 81.3, 10.4, 46.5),
    (24.0, 86.8, 11.7, 47.3),
    (30.0, 91.3, 12.8, 47.9),
    (36.0, 95.4, 13.9, 48.4),
    (48.0, 103.0, 16.2, 49.1),
    (60.0, 110.0, 18.5, 49.7),
    (72.0, 116.5, 21.0, 50.2),
    (84.0, 123.0, 23.7, 50.6),
    (96.0, 129.0, 26.6, 51.0),
    (108.0, 134.8, 30.0, 51.4),
    (120.0, 140.5, 33.8, 51.8),
    (132.0, 147.0, 38.3, 52.3),
    (144.0, 153.0, 43.0, 52.8),
    (156.0, 158.0, 47.8, 53.3),
    (168.0, 161.8, 51.5, 53.7),
    (180.0, 164.0, 54.5, 54.0),
    (192.0, 165.2, 56.5, 54.2),
    (204.0, 165.8, 57.8, 54.3),
];

/// Median (length, weight, head circumference) at `months`, linearly interpolated.
fn median(sex: Sex, months: f64) -> (f64, f64, f64) {
    let table = match sex {
        Sex::Male => &BOYS,
        Sex::Female => &GIRLS,
    };
    let months = months.clamp(0.0, 204.0);
    for pair in table.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if months <= b.0 {
            let t = (months - a.0) / (b.0 - a.0);
            let lerp = |x: f64, y: f64| x + (y - x) * t;
            return (lerp(a.1, b.1), lerp(a.2, b.2), lerp(a.3, b.3));
        }
    }
    let last = table[table.len() - 1];
    (last.1, last.2, last.3)
}

/// One measurement occasion.
#[derive(Debug, Clone, Copy)]
struct Growth {
    length: f64,
    weight: f64,
    head: f64,
}

impl Growth {
    fn bmi(self) -> f64 {
        self.weight / (self.length / 100.0).powi(2)
    }
}

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

/// A BVC visit of the basprogram.
#[derive(Debug, Clone, Copy)]
struct BvcVisit {
    key: &'static str,
    title: &'static str,
    /// Age in days: earliest and latest.
    from: i64,
    to: i64,
    doctor: bool,
    home: bool,
    head: bool,
    /// May be missed (no vaccinations at this visit).
    skippable: bool,
}

const BASPROGRAM: [BvcVisit; 15] = [
    BvcVisit {
        key: "1v",
        title: "Hembesök nyfödd",
        from: 7,
        to: 14,
        doctor: false,
        home: true,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "4v",
        title: "Hälsobesök 4 veckor med läkarundersökning",
        from: 28,
        to: 35,
        doctor: true,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "6v",
        title: "Hälsobesök 6–8 veckor",
        from: 42,
        to: 56,
        doctor: false,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "3m",
        title: "Hälsobesök 3 månader",
        from: 88,
        to: 98,
        doctor: false,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "4m",
        title: "Hälsobesök 4 månader",
        from: 120,
        to: 130,
        doctor: false,
        home: false,
        head: true,
        skippable: true,
    },
    BvcVisit {
        key: "5m",
        title: "Hälsobesök 5 månader",
        from: 150,
        to: 160,
        doctor: false,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "6m",
        title: "Hälsobesök 6 månader med läkarundersökning",
        from: 182,
        to: 195,
        doctor: true,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "8m",
        title: "Hälsobesök 8 månader",
        from: 243,
        to: 255,
        doctor: false,
        home: true,
        head: true,
        skippable: true,
    },
    BvcVisit {
        key: "10m",
        title: "Hälsobesök 10 månader",
        from: 304,
        to: 316,
        doctor: false,
        home: false,
        head: true,
        skippable: true,
    },
    BvcVisit {
        key: "12m",
        title: "Hälsobesök 12 månader med läkarundersökning",
        from: 365,
        to: 380,
        doctor: true,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "18m",
        title: "Hälsobesök 18 månader",
        from: 548,
        to: 565,
        doctor: false,
        home: false,
        head: true,
        skippable: false,
    },
    BvcVisit {
        key: "2.5a",
        title: "Hälsobesök 2,5 år",
        from: 913,
        to: 935,
        doctor: false,
        home: false,
        head: false,
        skippable: true,
    },
    BvcVisit {
        key: "3a",
        title: "Hälsobesök 3 år",
        from: 1095,
        to: 1120,
        doctor: false,
        home: false,
        head: false,
        skippable: true,
    },
    BvcVisit {
        key: "4a",
        title: "Hälsobesök 4 år",
        from: 1461,
        to: 1490,
        doctor: false,
        home: false,
        head: false,
        skippable: false,
    },
    BvcVisit {
        key: "5a",
        title: "Hälsobesök 5 år",
        from: 1826,
        to: 1855,
        doctor: false,
        home: false,
        head: false,
        skippable: false,
    },
];

/// A school health visit: school year and title.
const SCHOOL_VISITS: [(i32, &str); 6] = [
    (0, "Hälsobesök förskoleklass"),
    (2, "Hälsobesök åk 2"),
    (4, "Hälsobesök åk 4"),
    (6, "Hälsobesök åk 6"),
    (8, "Hälsobesök åk 8"),
    (10, "Hälsobesök gymnasiet år 1"),
];

/// Reasons for open-clinic visits and telephone contacts, with the note's text.
const DROP_IN: [(&str, &str); 6] = [
    (
        "Huvudvärk",
        "Söker för huvudvärk sedan två dagar. Inga feber. Råd om vätska, mat och sömn. Åter vid behov.",
    ),
    (
        "Ont i magen",
        "Söker för magont efter lunch. Mjuk buk, ingen feber. Vilar en stund och går tillbaka till lektionen.",
    ),
    (
        "Skada på idrottslektion",
        "Stukat vänster fotled på idrotten. Lätt svullnad, kan belasta. Kyla och högläge, vårdnadshavare informerad.",
    ),
    (
        "Trötthet",
        "Känner sig trött och orkar inte med skolarbetet. Samtal om sömn och skärmvanor. Uppföljning om fyra veckor.",
    ),
    (
        "Sår som behöver läggas om",
        "Skrubbsår på knät efter fall på rasten. Rengjort och lagt om. Vårdnadshavare informerad.",
    ),
    (
        "Oro och nedstämdhet",
        "Berättar om oro inför prov och svårt att sova. Stödjande samtal. Erbjuds samtal med kurator, tackar ja.",
    ),
];

const PHONE_CALLS: [(&str, &str); 4] = [
    (
        "Telefonsamtal med vårdnadshavare om huvudvärk",
        "Vårdnadshavare ringer om återkommande huvudvärk. Råd om synkontroll och regelbundna måltider. Bokar besök vid behov.",
    ),
    (
        "Telefonsamtal med vårdnadshavare inför vaccination",
        "Vårdnadshavare har frågor inför vaccinationen. Information om vaccinet och vanliga biverkningar given.",
    ),
    (
        "Telefonsamtal med vårdnadshavare om sömnsvårigheter",
        "Vårdnadshavare beskriver sena kvällar och svårt att vakna. Råd om sömnrutiner. Uppföljning på hälsobesök.",
    ),
    (
        "Telefonsamtal med vårdnadshavare efter frånvaro",
        "Uppföljning av upprepad frånvaro. Barnet har varit förkylt. Ingen ytterligare åtgärd.",
    ),
];

struct Generator<'a> {
    options: &'a SeedOptions,
    rng: ChaCha8Rng,
    school: Journal,
    bvc: Journal,
    school_nurses: [Staff; 2],
    school_doctor: Staff,
    bvc_nurses: [Staff; 2],
    bvc_doctor: Staff,
    products: Products,
    /// School year (1 or 2) of the MPR dose 2 in this municipality.
    mpr2_year: i32,
    used_ids: BTreeSet<String>,
    records: Vec<ImportRecord>,
    /// Per-pupil running number for document ids.
    sequence: u32,
}

impl<'a> Generator<'a> {
    fn new(options: &'a SeedOptions) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let school_org = org_prefix(&options.school_care_giver_hsa_id);
        let bvc_org = org_prefix(&options.bvc_care_giver_hsa_id);
        let staff = |org: &str, suffix: &str, name, role_code, role_name| Staff {
            hsa_id: format!("{org}-{suffix}"),
            name,
            role_code,
            role_name,
        };
        let products = Products::choose(&mut rng);
        let mpr2_year = rng.random_range(1..=2);
        Generator {
            options,
            school: Journal {
                source_system: options.school_source_system.clone(),
                care_unit: options.school_care_unit_hsa_id.clone(),
                care_unit_name: "Elevhälsan Björkskolan",
                care_giver: options.school_care_giver_hsa_id.clone(),
                care_giver_name: "Exempelstads kommun",
                system_name: "Elevhälsans journal, Exempelstads kommun",
                tag: "eh",
            },
            bvc: Journal {
                source_system: options.bvc_source_system.clone(),
                care_unit: options.bvc_care_unit_hsa_id.clone(),
                care_unit_name: "BVC Vårdcentralen Solbacken",
                care_giver: options.bvc_care_giver_hsa_id.clone(),
                care_giver_name: "Region Exempel",
                system_name: "Barnhälsovårdens journal, Region Exempel",
                tag: "bvc",
            },
            school_nurses: [
                staff(
                    school_org,
                    "SSK1",
                    "Anna Lindberg",
                    "206019",
                    "Skolsköterska",
                ),
                staff(
                    school_org,
                    "SSK2",
                    "Johan Ekström",
                    "206019",
                    "Skolsköterska",
                ),
            ],
            school_doctor: staff(school_org, "SKL1", "Maria Sandberg", "201012", "Skolläkare"),
            bvc_nurses: [
                staff(
                    bvc_org,
                    "BSK1",
                    "Eva Nyström",
                    "206011",
                    "Distriktssköterska",
                ),
                staff(
                    bvc_org,
                    "BSK2",
                    "Lina Berg",
                    "206018",
                    "Sjuksköterska, barn och ungdom",
                ),
            ],
            bvc_doctor: staff(
                bvc_org,
                "BLK1",
                "Karl Åberg",
                "201011",
                "Distriktsläkare/Specialist allmänmedicin",
            ),
            products,
            mpr2_year,
            used_ids: BTreeSet::new(),
            records: Vec::new(),
            sequence: 0,
            rng,
        }
    }

    // -- randomness -------------------------------------------------------------------

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// A standard normal value (Box–Muller), clipped to ±2.5.
    fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.rng.random::<f64>();
        let u2: f64 = self.rng.random::<f64>();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        z.clamp(-2.5, 2.5)
    }

    /// A weekday in `from..=to` (a weekend is moved to the nearest weekday inside).
    /// A working day (not a weekend or Swedish public holiday) in `from..=to`: a random
    /// day, moved to the next working day inside the range, else the previous one.
    fn weekday_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        let day = from + Duration::days(self.rng.random_range(0..=span));
        (0..7)
            .map(|n| day + Duration::days(n))
            .take_while(|d| *d <= to)
            .chain((1..7).map(|n| day - Duration::days(n)))
            .find(|d| working_day(*d))
            .unwrap_or(day)
    }

    /// A time of day in office hours (08:00–15:30, five-minute steps).
    fn office_time(&mut self, day: NaiveDate) -> NaiveDateTime {
        let minutes = self.rng.random_range(0..=90u32) * 5;
        day.and_time(NaiveTime::from_hms_opt(8 + minutes / 60, minutes % 60, 0).unwrap_or_default())
    }

    /// A weekday when the pupil was between `from` and `to` years old, at least four
    /// months before `today`; `None` when the pupil is too young.
    fn at_age(&mut self, pupil: &Pupil, from: i64, to: i64) -> Option<NaiveDate> {
        let earliest = pupil.birth + Duration::days(from * 365);
        let latest =
            (pupil.birth + Duration::days(to * 365)).min(self.options.today - Duration::days(120));
        (earliest <= latest).then(|| self.weekday_between(earliest, latest))
    }

    /// Whether a day lies before `today` (nothing is generated on or after it).
    fn past(&self, day: NaiveDate) -> bool {
        day < self.options.today
    }

    // -- pupils -----------------------------------------------------------------------

    fn pupil(&mut self, index: usize) -> Pupil {
        self.sequence = 0;
        let today = self.options.today;
        // Ages 6–16 on `today`: born after today − 17 years, at the latest today − 6 years.
        let youngest = today
            .checked_sub_months(chrono::Months::new(72))
            .unwrap_or(today);
        let oldest = today
            .checked_sub_months(chrono::Months::new(204))
            .map_or(youngest, |d| d + Duration::days(1));
        let newcomer = index % 12 == 7;
        let sex = if self.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let (birth, id) = loop {
            let span = (youngest - oldest).num_days();
            let birth = oldest + Duration::days(self.rng.random_range(0..=span));
            // Serial 980–999; the last digit of the serial is odd for males.
            let mut serial = self.rng.random_range(980..=999u16);
            if (serial % 2 == 1) != (sex == Sex::Male) {
                serial = if serial == 999 { 998 } else { serial + 1 };
            }
            let id = test_identity_number(birth, serial, newcomer);
            if self.used_ids.insert(id.clone()) {
                break (birth, id);
            }
        };
        let arrived = if newcomer {
            // Arrived in Sweden at five or older, between three years and two months ago.
            let earliest =
                (birth + Duration::days(5 * 365 + 30)).max(today - Duration::days(3 * 365));
            let latest = today - Duration::days(60);
            Some(self.weekday_between(earliest.min(latest), latest))
        } else {
            None
        };
        // Every condition appears at least once in each twenty pupils (so a demo class
        // shows every record type), and a few more times at random.
        let slot = index % 20;
        let conditions = Conditions {
            asthma: slot == 3 || self.chance(0.06),
            adhd: slot == 4 || self.chance(0.04),
            myopia: slot == 13 || self.chance(0.06),
            eczema: !newcomer && (slot == 9 || self.chance(0.06)),
            obesity: slot == 16 || self.chance(0.03),
        };
        let gaps = Gaps {
            declined_mpr: !newcomer && self.chance(0.04),
            missed_mpr2: self.chance(0.06),
            missed_booster: !newcomer && self.chance(0.05),
            declined_hpv: self.chance(0.10),
            missed_dtap: self.chance(0.06),
        };
        let z_length = self.normal();
        let noise = self.normal();
        Pupil {
            index,
            id,
            id_type: if newcomer {
                SAMORDNINGSNUMMER_OID
            } else {
                PERSONNUMMER_OID
            },
            birth,
            sex,
            arrived,
            z_length,
            z_weight: 0.6 * z_length + 0.8 * noise,
            z_head: self.normal(),
            conditions,
            gaps,
            bvc_nurse: self.rng.random_range(0..2),
        }
    }

    /// The pupil's measurements on `day`, with a little measurement noise.
    fn growth(&mut self, pupil: &Pupil, day: NaiveDate) -> Growth {
        let days = (day - pupil.birth).num_days() as f64;
        let months = days / 30.4375;
        let (length, weight, head) = median(pupil.sex, months);
        let years = months / 12.0;
        let obesity = if pupil.conditions.obesity {
            (2.8 * (years - 3.0) / 5.0).clamp(0.0, 2.8)
        } else {
            0.0
        };
        let weight_sd = if months < 60.0 { 0.10 } else { 0.13 };
        let z_length = pupil.z_length + 0.08 * self.normal();
        let z_weight = pupil.z_weight + obesity + 0.12 * self.normal();
        let z_head = pupil.z_head + 0.1 * self.normal();
        Growth {
            length: length * (1.0 + 0.037 * z_length),
            weight: weight * (weight_sd * z_weight).exp(),
            head: head + 1.2 * z_head,
        }
    }

    // -- records ----------------------------------------------------------------------

    fn document_id(&mut self, pupil: &Pupil, journal: &Journal, kind: &str) -> String {
        self.sequence += 1;
        format!(
            "seed{}-{:03}-{}-{kind}-{:03}",
            self.options.seed, pupil.index, journal.tag, self.sequence
        )
    }

    /// A header written (and, with `signed`, signed minutes later) by `author`.
    fn head(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        kind: &str,
        contact: Option<&str>,
        signed: bool,
    ) -> Head {
        let document_id = self.document_id(pupil, author.journal, kind);
        let signature = signed.then(|| {
            let minutes = self.rng.random_range(5..=90);
            author.at + Duration::minutes(minutes)
        });
        Head {
            document_id,
            source_system_hsa_id: author.journal.source_system.clone(),
            patient_id: pupil.id.clone(),
            patient_id_type: pupil.id_type.to_owned(),
            author_time: stamp(author.at),
            author_hsa_id: Some(author.staff.hsa_id.clone()),
            author_name: Some(author.staff.name.to_owned()),
            author_role_code: Some(author.staff.role_code.to_owned()),
            author_role_name: Some(author.staff.role_name.to_owned()),
            author_org_unit_hsa_id: Some(author.journal.care_unit.clone()),
            author_org_unit_name: Some(author.journal.care_unit_name.to_owned()),
            care_unit_hsa_id: author.journal.care_unit.clone(),
            care_giver_hsa_id: author.journal.care_giver.clone(),
            legal_authenticator_hsa_id: signature.map(|_| author.staff.hsa_id.clone()),
            legal_authenticator_name: signature.map(|_| author.staff.name.to_owned()),
            signature_time: signature.map(stamp),
            approved_for_patient: true,
            care_contact_id: contact.map(str::to_owned),
        }
    }

    /// A care contact that took place; returns its document id.
    fn contact(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        code: &str,
        reason: &str,
        minutes: i64,
    ) -> String {
        let head = self.head(pupil, author, "vko", None, false);
        let id = head.document_id.clone();
        let record = build!(CareContactRecord, head, {
            care_contact_code: code.to_owned(),
            care_contact_reason: Some(reason.to_owned()),
            care_contact_org_unit_hsa_id: Some(author.journal.care_unit.clone()),
            care_contact_org_unit_name: Some(author.journal.care_unit_name.to_owned()),
            care_contact_start: stamp(author.at),
            care_contact_end: Some(stamp(author.at + Duration::minutes(minutes))),
            care_contact_status: Some(FINISHED.to_owned()),
        });
        self.records.push(ImportRecord::CareContact(record));
        id
    }

    /// A signed journal note.
    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        contact: Option<&str>,
        type_code: &str,
        type_name: &str,
        title: &str,
        text: String,
        approved_for_patient: bool,
    ) {
        let mut head = self.head(pupil, author, "voo", contact, true);
        head.approved_for_patient = approved_for_patient;
        let record = build!(CareDocumentationRecord, head, {
            note_type_code: type_code.to_owned(),
            note_type_display_name: Some(type_name.to_owned()),
            note_title: Some(title.to_owned()),
            note_text: Some(text),
            attachment_media_type: None,
            attachment_reference: None,
            attachment_base64: None,
        });
        self.records.push(ImportRecord::CareDocumentation(record));
    }

    /// Growth observations of one visit, as one group.
    fn measurements(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        contact: &str,
        growth: Growth,
        head_circumference: bool,
        bmi: bool,
    ) {
        let infant = (author.at.date() - pupil.birth).num_days() < 730;
        let weight = if infant {
            format!("{:.3}", growth.weight)
        } else {
            dec1(growth.weight)
        };
        let mut values = vec![(LENGTH, dec1(growth.length), "cm"), (WEIGHT, weight, "kg")];
        if head_circumference {
            values.push((HEAD, dec1(growth.head), "cm"));
        }
        if bmi {
            values.push((BMI, dec1(growth.bmi()), "kg/m2"));
        }
        let group = format!("{contact}-tillvaxt");
        for ((code, name), value, unit) in values {
            let head = self.head(pupil, author, "obs", Some(contact), false);
            let record = build!(ObservationRecord, head, {
                observation_group_id: Some(group.clone()),
                observation_type_code: code.to_owned(),
                observation_type_code_system: None,
                observation_type_display_name: name.to_owned(),
                observation_time: stamp(author.at),
                observation_end_time: None,
                value_quantity: Some(value),
                value_unit: Some(unit.to_owned()),
                value_code: None,
                value_code_system: None,
                value_display_name: None,
                description: None,
            });
            self.records.push(ImportRecord::Observation(record));
        }
    }

    /// A batch number that stays the same for a product within a month at one unit.
    fn batch(vaccine: Vaccine, journal: &Journal, day: NaiveDate) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in vaccine
            .product
            .bytes()
            .chain(journal.tag.bytes())
            .chain(format!("{}{}", day.year(), day.month()).into_bytes())
        {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let letter = |n: u64| char::from(b'A' + (n % 26) as u8);
        format!(
            "{}{}{}{:03}{}{}",
            letter(hash),
            letter(hash >> 5),
            letter(hash >> 10),
            (hash >> 15) % 1000,
            letter(hash >> 25),
            letter(hash >> 30)
        )
    }

    /// A vaccination given by `author` at a contact.
    fn vaccination(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        contact: &str,
        vaccine: Vaccine,
        dose: i32,
        comment: Option<&str>,
    ) {
        let head = self.head(pupil, author, "vacc", Some(contact), true);
        let (route, site) = if vaccine.oral {
            (ORAL, None)
        } else if (author.at.date() - pupil.birth).num_days() < 3 * 365 {
            // Two injections at one visit go in one thigh each.
            (
                INTRAMUSCULAR,
                Some(if vaccine.atc == "J07AL02" {
                    "Höger lår"
                } else {
                    "Vänster lår"
                }),
            )
        } else {
            (INTRAMUSCULAR, Some("Vänster överarm"))
        };
        let record = build!(VaccinationRecord, head, {
            administration_time: stamp(author.at),
            vaccine_npl_id: None,
            vaccine_name: Some(vaccine.product.to_owned()),
            vaccine_type_code: Some(vaccine.atc.to_owned()),
            vaccine_type_name: Some(vaccine.atc_name.to_owned()),
            in_national_programme: true,
            dose_ordinal_number: Some(dose),
            vaccine_batch_id: Some(Self::batch(vaccine, author.journal, author.at.date())),
            route: Some(route.1.to_owned()),
            route_code: Some(route.0.to_owned()),
            route_code_system: None,
            anatomical_site: site.map(str::to_owned),
            anatomical_site_code: None,
            anatomical_site_code_system: None,
            performer_hsa_id: Some(author.staff.hsa_id.clone()),
            performer_name: Some(author.staff.name.to_owned()),
            administration_comment: comment.map(str::to_owned),
            care_giver_name: Some(author.journal.care_giver_name.to_owned()),
            source_system_name: Some(author.journal.system_name.to_owned()),
        });
        self.records.push(ImportRecord::Vaccination(record));
    }

    /// A diagnosis set by `author` (diagnosed on `diagnosed`).
    #[allow(clippy::too_many_arguments)]
    fn diagnosis(
        &mut self,
        pupil: &Pupil,
        author: Author<'_>,
        contact: Option<&str>,
        code: &str,
        name: &str,
        chronic: bool,
        diagnosed: NaiveDateTime,
    ) {
        let head = self.head(pupil, author, "dia", contact, true);
        let record = build!(DiagnosisRecord, head, {
            type_of_diagnosis: "Huvuddiagnos".to_owned(),
            chronic_diagnosis: Some(chronic),
            diagnosis_time: Some(stamp(diagnosed)),
            diagnosis_code: Some(code.to_owned()),
            diagnosis_code_system: Some(ICD10_SE.to_owned()),
            diagnosis_display_name: Some(name.to_owned()),
            diagnosis_original_text: None,
        });
        self.records.push(ImportRecord::Diagnosis(record));
    }

    // -- BVC ---------------------------------------------------------------------------

    fn bvc_history(&mut self, pupil: &Pupil) {
        if pupil.arrived.is_some() {
            return;
        }
        let journal = self.bvc.clone();
        let nurse = self.bvc_nurses[pupil.bvc_nurse].clone();
        let doctor = self.bvc_doctor.clone();
        let products = self.products;
        let rota = pupil.birth >= ymd(2019, 9, 1);
        let mut given: Vec<String> = Vec::new();
        let mut missed: Vec<&str> = Vec::new();
        let mut last_growth: Option<(NaiveDate, Growth)> = None;
        let skipped = if self.chance(0.3) {
            let skippable: Vec<usize> = (0..BASPROGRAM.len())
                .filter(|&i| BASPROGRAM[i].skippable)
                .collect();
            Some(skippable[self.rng.random_range(0..skippable.len())])
        } else {
            None
        };
        for (number, visit) in BASPROGRAM.iter().enumerate() {
            let day = self.weekday_between(
                pupil.birth + Duration::days(visit.from),
                pupil.birth + Duration::days(visit.to),
            );
            if !self.past(day) {
                break;
            }
            if skipped == Some(number) {
                missed.push(visit.title);
                continue;
            }
            let staff = if visit.doctor { &doctor } else { &nurse };
            let at = self.office_time(day);
            let author = Author {
                journal: &journal,
                staff,
                at,
            };
            let reason = if visit.home && !visit.title.starts_with("Hembesök") {
                format!("{} (hembesök)", visit.title)
            } else {
                visit.title.to_owned()
            };
            let minutes = if visit.home {
                60
            } else {
                30 + 15 * i64::from(visit.doctor)
            };
            let contact = self.contact(pupil, author, VISIT, &reason, minutes);
            let growth = self.growth(pupil, day);
            self.measurements(pupil, author, &contact, growth, visit.head, false);
            last_growth = Some((day, growth));

            // Vaccinations are given by the child's nurse, after the examination.
            let vaccinator = Author {
                journal: &journal,
                staff: &nurse,
                at: at + Duration::minutes(20),
            };
            let mut doses: Vec<(Vaccine, i32)> = Vec::new();
            match visit.key {
                "6v" if rota => doses.push((ROTAVIRUS, 1)),
                "3m" => {
                    doses.push((products.hexavalent, 1));
                    doses.push((products.pneumococcal, 1));
                    if rota {
                        doses.push((ROTAVIRUS, 2));
                    }
                }
                "5m" => {
                    doses.push((products.hexavalent, 2));
                    doses.push((products.pneumococcal, 2));
                }
                "12m" => {
                    doses.push((products.hexavalent, 3));
                    doses.push((products.pneumococcal, 3));
                }
                "18m" if pupil.gaps.declined_mpr => {
                    missed.push("MPR dos 1 (avböjd av vårdnadshavare)");
                }
                "18m" => doses.push((products.mpr, 1)),
                "5a" if pupil.gaps.missed_booster => {
                    missed.push("DTP-IPV dos 4 (uteblev)");
                }
                "5a" => doses.push((products.dtap_ipv, 4)),
                _ => {}
            }
            for (vaccine, dose) in doses {
                self.vaccination(pupil, vaccinator, &contact, vaccine, dose, None);
                given.push(format!(
                    "{} dos {dose} ({})",
                    vaccine.short,
                    day.format("%Y-%m-%d")
                ));
            }

            if pupil.conditions.eczema && visit.key == "6m" {
                let author = Author {
                    journal: &journal,
                    staff: &doctor,
                    at: at + Duration::minutes(30),
                };
                self.diagnosis(
                    pupil,
                    author,
                    Some(&contact),
                    "L20.9",
                    "Atopiskt eksem, ospecificerat",
                    true,
                    at,
                );
            }
        }

        // Summary before school start: in June of the year the child turns six.
        let day = self.weekday_between(
            ymd(pupil.birth.year() + 6, 6, 1),
            ymd(pupil.birth.year() + 6, 6, 20),
        );
        if !self.past(day) {
            return;
        }
        let at = self.office_time(day);
        let author = Author {
            journal: &journal,
            staff: &nurse,
            at,
        };
        let mut text = String::from(
            "Sammanfattning från barnhälsovården inför skolstart, överlämnas till elevhälsan.\n",
        );
        if missed
            .iter()
            .any(|m| BASPROGRAM.iter().any(|v| v.title == *m))
        {
            text.push_str("Barnet har följt basprogrammet med undantag av ett uteblivet besök.\n");
        } else {
            text.push_str("Barnet har följt barnhälsovårdens basprogram.\n");
        }
        if let Some((measured, growth)) = last_growth {
            text.push_str(&format!(
                "Tillväxt: längd {} cm och vikt {} kg ({}), följer sin kurva.\n",
                sv(growth.length, 1),
                sv(growth.weight, 1),
                measured.format("%Y-%m-%d")
            ));
        }
        text.push_str(&format!("Vaccinationer: {}.\n", given.join(", ")));
        let gaps: Vec<&str> = missed
            .iter()
            .copied()
            .filter(|m| !BASPROGRAM.iter().any(|v| v.title == *m))
            .collect();
        if !gaps.is_empty() {
            text.push_str(&format!("Ej givna vaccinationer: {}.\n", gaps.join(", ")));
        }
        text.push_str(
            "Utveckling: åldersadekvat tal- och språkutveckling vid 2,5- och 4-årsbesöken. \
             Syn och hörsel utan anmärkning vid 4-årsbesöket.\n",
        );
        if pupil.conditions.eczema {
            text.push_str(
                "Övrigt: atopiskt eksem sedan spädbarnsåret, behandlas med mjukgörande kräm.\n",
            );
        }
        self.note(
            pupil,
            author,
            None,
            "sam",
            "Sammanfattning",
            "Sammanfattning BVC inför skolstart",
            text.trim_end().to_owned(),
            true,
        );
    }

    // -- school health ----------------------------------------------------------------

    /// A weekday of school year `year` for `pupil`, between the given (month, day) bounds
    /// (months 8–12 in the autumn term, 1–6 in the spring term).
    fn school_day(
        &mut self,
        pupil: &Pupil,
        year: i32,
        from: (u32, u32),
        to: (u32, u32),
    ) -> NaiveDate {
        let autumn = pupil.birth.year() + 6 + year;
        let date = |(month, day): (u32, u32)| {
            ymd(if month >= 8 { autumn } else { autumn + 1 }, month, day)
        };
        self.weekday_between(date(from), date(to))
    }

    fn school_history(&mut self, pupil: &Pupil) {
        let journal = self.school.clone();
        let today = self.options.today;
        let doctor = self.school_doctor.clone();
        let nurse_for = |year: i32, nurses: &[Staff; 2]| nurses[usize::from(year >= 6)].clone();
        let products = self.products;
        let first_term = ymd(pupil.birth.year() + 6, 8, 20);
        let school_start = match pupil.arrived {
            Some(arrived) => next_term_day(arrived.max(first_term)),
            None => first_term,
        };
        let current_year = school_year_on(pupil.birth, today);

        // Newly arrived pupils: an intake talk and catch-up MPR.
        if pupil.arrived.is_some() {
            let arrived = school_start;
            let day =
                self.weekday_between(arrived + Duration::days(7), arrived + Duration::days(20));
            if self.past(day) {
                let year = school_year_on(pupil.birth, day);
                let nurse = nurse_for(year, &self.school_nurses);
                let at = self.office_time(day);
                let author = Author {
                    journal: &journal,
                    staff: &nurse,
                    at,
                };
                let contact =
                    self.contact(pupil, author, VISIT, "Hälsosamtal för nyanländ elev", 60);
                let growth = self.growth(pupil, day);
                self.measurements(pupil, author, &contact, growth, false, true);
                self.note(
                    pupil,
                    author,
                    Some(&contact),
                    "ins",
                    "Inskrivning",
                    "Hälsosamtal nyanländ elev",
                    format!(
                        "Hälsosamtal med elev och vårdnadshavare med tolk. Nyligen anländ till \
                         Sverige. Längd {} cm, vikt {} kg. Vaccinationsdokumentation från \
                         tidigare hemland saknas; kompletterande vaccination mot mässling, \
                         påssjuka och röda hund erbjuds enligt Folkhälsomyndighetens \
                         rekommendationer.",
                        sv(growth.length, 1),
                        sv(growth.weight, 1)
                    ),
                    true,
                );
                for (dose, (from, to)) in [(1, (30, 45)), (2, (75, 100))] {
                    let day = self.weekday_between(
                        arrived + Duration::days(from),
                        arrived + Duration::days(to),
                    );
                    if !self.past(day) {
                        break;
                    }
                    let at = self.office_time(day);
                    let author = Author {
                        journal: &journal,
                        staff: &nurse,
                        at,
                    };
                    let contact =
                        self.contact(pupil, author, VISIT, "Kompletterande vaccination MPR", 20);
                    self.vaccination(
                        pupil,
                        author,
                        &contact,
                        products.mpr,
                        dose,
                        Some("Kompletterande vaccination, nyanländ elev."),
                    );
                }
            }
        }

        // Health visits.
        let mut visit_contacts: Vec<(i32, String, NaiveDateTime)> = Vec::new();
        for (year, title) in SCHOOL_VISITS {
            if year > current_year {
                break;
            }
            let day = self.school_day(pupil, year, (9, 1), (5, 28));
            if day < school_start || !self.past(day) {
                continue;
            }
            let nurse = nurse_for(year, &self.school_nurses);
            let at = self.office_time(day);
            let author = Author {
                journal: &journal,
                staff: &nurse,
                at,
            };
            let contact = self.contact(pupil, author, VISIT, title, 45);
            let growth = self.growth(pupil, day);
            self.measurements(pupil, author, &contact, growth, false, true);
            let mut text = format!(
                "{title}. Längd {} cm, vikt {} kg, BMI {}. ",
                sv(growth.length, 1),
                sv(growth.weight, 1),
                sv(growth.bmi(), 1)
            );
            text.push_str(match year {
                0 => "Syn- och hörselkontroll utan anmärkning. Samtal med vårdnadshavare om sömn, mat och skolstart.",
                2 => "Synkontroll. Hälsosamtal om kamrater, rörelse och trivsel i skolan. Trivs bra.",
                4 => "Hälsosamtal utifrån elevhälsoenkät. Sover bra, äter frukost. Trivs i skolan.",
                6 => "Hälsosamtal om pubertet, sömn och skärmtid. Ryggkontroll utan anmärkning.",
                8 => "Hälsosamtal om levnadsvanor, alkohol, tobak och psykisk hälsa. Inga behov av uppföljning framkommer.",
                _ => "Hälsosamtal om studiesituation, sömn och levnadsvanor. Information om elevhälsans mottagning.",
            });
            if pupil.conditions.myopia
                && year >= 2
                && !visit_contacts.iter().any(|(y, _, _)| *y >= 2)
            {
                text.push_str(" Nedsatt syn på avstånd, remiss till ögonmottagning.");
            }
            if pupil.conditions.obesity && year >= 4 {
                text.push_str(
                    " Vikten har ökat mer än längden; erbjuds uppföljning hos skolläkare.",
                );
            }
            self.note(
                pupil,
                author,
                Some(&contact),
                "bes",
                "Besöksanteckning",
                title,
                text,
                true,
            );

            if year == 8 && !pupil.gaps.missed_dtap {
                let vaccinator = Author {
                    journal: &journal,
                    staff: &nurse,
                    at: at + Duration::minutes(30),
                };
                self.vaccination(pupil, vaccinator, &contact, products.dtap, 5, None);
            }
            visit_contacts.push((year, contact, at));
        }

        // School vaccinations: MPR dose 2 (year 1 or 2), HPV (year 5, two doses).
        let mpr2_due = pupil.arrived.is_none() && !pupil.gaps.declined_mpr;
        if mpr2_due && self.mpr2_year <= current_year {
            let day = self.school_day(pupil, self.mpr2_year, (9, 15), (11, 30));
            let catch_up = pupil.gaps.missed_mpr2;
            let day = if catch_up && self.chance(0.5) {
                Some(day + Duration::days(self.rng.random_range(40..=80)))
            } else if catch_up {
                None
            } else {
                Some(day)
            };
            if let Some(day) = day.map(|d| self.weekday_between(d, d + Duration::days(2)))
                && self.past(day)
                && day >= school_start
            {
                let nurse = nurse_for(self.mpr2_year, &self.school_nurses);
                let at = self.office_time(day);
                let author = Author {
                    journal: &journal,
                    staff: &nurse,
                    at,
                };
                let contact = self.contact(pupil, author, VISIT, "Vaccination MPR dos 2", 20);
                let comment = catch_up.then_some(
                    "Kompletterande vaccination efter frånvaro vid ordinarie vaccinationstillfälle.",
                );
                self.vaccination(pupil, author, &contact, products.mpr, 2, comment);
            }
        }
        if !pupil.gaps.declined_hpv && current_year >= 5 {
            let mut dose = 0;
            for (from, to) in [((9, 20), (11, 20)), ((3, 15), (5, 10))] {
                let day = self.school_day(pupil, 5, from, to);
                if !self.past(day) || day < school_start {
                    continue;
                }
                dose += 1;
                let nurse = nurse_for(5, &self.school_nurses);
                let at = self.office_time(day);
                let author = Author {
                    journal: &journal,
                    staff: &nurse,
                    at,
                };
                let contact = self.contact(
                    pupil,
                    author,
                    VISIT,
                    &format!("Vaccination HPV dos {dose}"),
                    20,
                );
                self.vaccination(pupil, author, &contact, products.hpv, dose, None);
            }
        }

        // Open-clinic visits and telephone contacts.
        let until = today - Duration::days(1);
        if school_start < until {
            for _ in 0..self.rng.random_range(0..=2) {
                let day = self.weekday_between(school_start, until);
                if !in_term(day) {
                    continue;
                }
                let (reason, text) = DROP_IN[self.rng.random_range(0..DROP_IN.len())];
                let nurse = nurse_for(school_year_on(pupil.birth, day), &self.school_nurses);
                let at = self.office_time(day);
                let author = Author {
                    journal: &journal,
                    staff: &nurse,
                    at,
                };
                let contact = self.contact(pupil, author, VISIT, reason, 20);
                self.note(
                    pupil,
                    author,
                    Some(&contact),
                    "bes",
                    "Besöksanteckning",
                    reason,
                    text.to_owned(),
                    true,
                );
            }
            for _ in 0..self.rng.random_range(0..=1) {
                let day = self.weekday_between(school_start, until);
                if !in_term(day) {
                    continue;
                }
                let (reason, text) = PHONE_CALLS[self.rng.random_range(0..PHONE_CALLS.len())];
                let nurse = nurse_for(school_year_on(pupil.birth, day), &self.school_nurses);
                let at = self.office_time(day);
                let author = Author {
                    journal: &journal,
                    staff: &nurse,
                    at,
                };
                let contact = self.contact(pupil, author, PHONE, reason, 10);
                let approved = !self.chance(0.2);
                self.note(
                    pupil,
                    author,
                    Some(&contact),
                    "auf",
                    "Anteckning utan fysiskt möte",
                    reason,
                    text.to_owned(),
                    approved,
                );
            }
        }

        self.school_conditions(pupil, &journal, &doctor, school_start, &visit_contacts);
    }

    /// Diagnoses and medications recorded by the school doctor and nurses.
    fn school_conditions(
        &mut self,
        pupil: &Pupil,
        journal: &Journal,
        doctor: &Staff,
        school_start: NaiveDate,
        visits: &[(i32, String, NaiveDateTime)],
    ) {
        let today = self.options.today;
        // A condition diagnosed elsewhere on `diagnosed` is recorded at school a few weeks
        // later (at the earliest at school start).
        let recorded = |generator: &mut Self, diagnosed: NaiveDate| {
            let from = diagnosed.max(school_start) + Duration::days(7);
            let day = generator.weekday_between(from, from + Duration::days(30));
            generator.past(day).then(|| generator.office_time(day))
        };

        if pupil.conditions.asthma
            && let Some(onset) = self.at_age(pupil, 2, 9)
            && let Some(at) = recorded(self, onset)
        {
            let diagnosed = self.office_time(onset);
            let author = Author {
                journal,
                staff: doctor,
                at,
            };
            self.diagnosis(
                pupil,
                author,
                None,
                "J45.9",
                "Astma, ospecificerad",
                true,
                diagnosed,
            );
            let nurse = self.school_nurses
                [usize::from(school_year_on(pupil.birth, at.date()) >= 6)]
            .clone();
            let author = Author {
                journal,
                staff: &nurse,
                at: at + Duration::minutes(15),
            };
            let head = self.head(pupil, author, "lm", None, false);
            let prescription_id = format!("ord-{}", head.document_id);
            let record = build!(MedicationRecord, head, {
                prescription_id: prescription_id.clone(),
                prescription_chain_id: Some(format!("kedja-{prescription_id}")),
                type_of_prescription: "I".to_owned(),
                prescription_status: "Active".to_owned(),
                drug_npl_id: None,
                drug_name: None,
                drug_atc_code: None,
                drug_atc_name: None,
                drug_text: Some("Salbutamol 0,1 mg/dos inhalationsspray (Ventoline Evohaler) med inhalationskammare".to_owned()),
                dosage_instruction: Some("1–2 inhalationer vid behov, högst 8 inhalationer per dygn. 2 inhalationer före idrott vid behov.".to_owned()),
                treatment_purpose: Some("Vid astmabesvär".to_owned()),
                prescription_note: Some("Ordinerat av barnmottagningen. Eleven har inhalator med sig i skolan.".to_owned()),
                start_of_treatment: Some(stamp(diagnosed)),
                end_of_treatment: None,
                end_of_treatment_reason: None,
                self_medication: false,
                prescriber_hsa_id: None,
                prescriber_name: Some("Per Strand, barnläkare".to_owned()),
                prescription_time: Some(stamp(diagnosed)),
            });
            self.records.push(ImportRecord::Medication(record));
        }

        if pupil.conditions.adhd
            && let Some(diagnosed_day) = self.at_age(pupil, 7, 12)
            && let Some(at) = recorded(self, diagnosed_day)
        {
            let diagnosed = self.office_time(diagnosed_day);
            let author = Author {
                journal,
                staff: doctor,
                at,
            };
            self.diagnosis(
                pupil,
                author,
                None,
                "F90.0",
                "Aktivitets- och uppmärksamhetsstörning",
                true,
                diagnosed,
            );
            // Metylfenidat from BUP: started a month after the diagnosis, titrated
            // after six weeks; recorded in the school journal by the nurse.
            let event = |generator: &mut Self, after: NaiveDate, days: i64| {
                let first = after + Duration::days(days);
                let day = generator.weekday_between(first, first + Duration::days(4));
                generator.office_time(day)
            };
            let start = event(self, diagnosed_day, 30);
            let change = event(self, diagnosed_day, 72);
            let start_written = event(self, start.max(at).date(), 2);
            let change_written = event(self, change.max(at).date(), 2);
            let steps = [
                (
                    start,
                    start_written,
                    "Concerta 18 mg depottablett",
                    Some((change, change_written)),
                ),
                (change, change_written, "Concerta 27 mg depottablett", None),
            ];
            let nurse = self.school_nurses
                [usize::from(school_year_on(pupil.birth, diagnosed_day) >= 6)]
            .clone();
            let mut chain: Option<String> = None;
            for (from, written, drug, successor) in steps {
                if written.date() >= today {
                    break;
                }
                let author = Author {
                    journal,
                    staff: &nurse,
                    at: written,
                };
                let head = self.head(pupil, author, "lm", None, false);
                let prescription_id = format!("ord-{}", head.document_id);
                let chain_id = chain
                    .get_or_insert_with(|| format!("kedja-{prescription_id}"))
                    .clone();
                // The first dose is replaced by the second only once that is recorded.
                let (status, end, reason) = match successor {
                    Some((until, recorded)) if recorded.date() < today => (
                        "Inactive",
                        Some(stamp(until)),
                        Some("Dosjustering".to_owned()),
                    ),
                    _ => ("Active", None, None),
                };
                let record = build!(MedicationRecord, head, {
                    prescription_id: prescription_id.clone(),
                    prescription_chain_id: Some(chain_id),
                    type_of_prescription: "I".to_owned(),
                    prescription_status: status.to_owned(),
                    drug_npl_id: None,
                    drug_name: None,
                    drug_atc_code: None,
                    drug_atc_name: None,
                    drug_text: Some(format!("Metylfenidat, {drug}")),
                    dosage_instruction: Some("1 tablett på morgonen".to_owned()),
                    treatment_purpose: Some("ADHD".to_owned()),
                    prescription_note: Some("Ordinerat av BUP. Tas hemma på morgonen.".to_owned()),
                    start_of_treatment: Some(stamp(from)),
                    end_of_treatment: end,
                    end_of_treatment_reason: reason,
                    self_medication: false,
                    prescriber_hsa_id: None,
                    prescriber_name: Some("Sofia Hedlund, BUP".to_owned()),
                    prescription_time: Some(stamp(from)),
                });
                self.records.push(ImportRecord::Medication(record));
            }
        }

        if pupil.conditions.myopia {
            // Found at the year-2 vision check (or later for newly arrived pupils),
            // confirmed by the eye clinic a month later.
            if let Some((_, contact, at)) = visits.iter().find(|(year, _, _)| *year >= 2) {
                let day = self.weekday_between(
                    at.date() + Duration::days(35),
                    at.date() + Duration::days(40),
                );
                let confirmed = self.office_time(day);
                if let Some(recorded_at) = recorded(self, confirmed.date()) {
                    let author = Author {
                        journal,
                        staff: doctor,
                        at: recorded_at,
                    };
                    self.diagnosis(
                        pupil,
                        author,
                        Some(contact),
                        "H52.1",
                        "Myopi",
                        true,
                        confirmed,
                    );
                }
            }
        }

        if pupil.conditions.obesity
            && let Some((_, _, visit_at)) = visits.iter().find(|(year, _, _)| *year >= 4)
        {
            let day = visit_at.date() + Duration::days(21);
            let day = self.weekday_between(day, day + Duration::days(14));
            if self.past(day) {
                let at = self.office_time(day);
                let author = Author {
                    journal,
                    staff: doctor,
                    at,
                };
                let followup = self.contact(
                    pupil,
                    author,
                    VISIT,
                    "Uppföljning av vikt hos skolläkare",
                    30,
                );
                self.diagnosis(
                    pupil,
                    author,
                    Some(&followup),
                    "E66.9",
                    "Fetma, ospecificerad",
                    false,
                    at,
                );
                self.note(
                    pupil,
                    author,
                    Some(&followup),
                    "bes",
                    "Besöksanteckning",
                    "Skolläkarbesök, vikt",
                    format!(
                        "Remitterad från skolsköterska efter hälsobesöket {}. \
                         ISO-BMI över 30. Samtal med elev och vårdnadshavare om mat, \
                         rörelse och sömn. Remiss till barnmottagningens \
                         överviktsmottagning.",
                        visit_at.format("%Y-%m-%d")
                    ),
                    true,
                );
            }
        }
    }
}

/// Easter Sunday of `year` (Gregorian computus).
fn easter(year: i32) -> NaiveDate {
    let (a, b, c) = (year % 19, year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let g = (b - (b + 8) / 25 + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let l = (32 + 2 * e + 2 * (c / 4) - h - c % 4) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    ymd(year, (n / 31) as u32, (n % 31 + 1) as u32)
}

/// Whether a day is a Swedish working day: not a weekend, public holiday or
/// midsommarafton/julafton/nyårsafton.
fn working_day(day: NaiveDate) -> bool {
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        return false;
    }
    let fixed = matches!(
        (day.month(), day.day()),
        (1, 1) | (1, 6) | (5, 1) | (6, 6) | (12, 24) | (12, 25) | (12, 26) | (12, 31)
    );
    let midsummer_eve =
        day.month() == 6 && (19..=25).contains(&day.day()) && day.weekday() == Weekday::Fri;
    let easter = easter(day.year());
    let moveable = [-2, 1, 39]
        .iter()
        .any(|offset| day == easter + Duration::days(*offset));
    !(fixed || midsummer_eve || moveable)
}

/// `day`, or the first day of the next term when `day` falls in a school holiday.
fn next_term_day(day: NaiveDate) -> NaiveDate {
    match (day.month(), day.day()) {
        (6, _) | (7, _) | (8, _) if !in_term(day) => ymd(day.year(), 8, 20),
        (12, _) if !in_term(day) => ymd(day.year() + 1, 1, 8),
        (1, _) if !in_term(day) => ymd(day.year(), 1, 8),
        _ => day,
    }
}

/// Whether a day lies in a school term (not in the summer or Christmas holidays).
fn in_term(day: NaiveDate) -> bool {
    let (month, date) = (day.month(), day.day());
    !(month == 7 || (month == 6 && date > 12) || (month == 8 && date < 20))
        && !(month == 12 && date > 20 || month == 1 && date < 8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use npo_contracts::types::PatientId;
    use std::collections::BTreeMap;

    fn options_at(seed: u64, pupils: usize, today: NaiveDate) -> SeedOptions {
        SeedOptions::for_source_systems(
            seed,
            pupils,
            today,
            "SE2120009994-EH7S",
            "SE2321009991-BV3C",
        )
    }

    fn options(seed: u64, pupils: usize) -> SeedOptions {
        options_at(seed, pupils, ymd(2026, 11, 22))
    }

    /// Days that stress the calendar: a school day, Christmas, the summer holiday, a
    /// leap day, the first day of a term.
    fn todays() -> [NaiveDate; 5] {
        [
            ymd(2026, 11, 22),
            ymd(2027, 1, 2),
            ymd(2026, 7, 15),
            ymd(2028, 2, 29),
            ymd(2025, 8, 20),
        ]
    }

    /// Every 14-digit time stamp anywhere in a record.
    fn stamps(record: &ImportRecord) -> Vec<NaiveDateTime> {
        fn walk(value: &serde_json::Value, out: &mut Vec<NaiveDateTime>) {
            match value {
                serde_json::Value::String(text) => {
                    if let Some(t) = TimeStamp::parse(text) {
                        out.push(t.local());
                    }
                }
                serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
                serde_json::Value::Array(list) => list.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(
            &serde_json::to_value(record).expect("serialisable"),
            &mut out,
        );
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_document() {
        let a = generate(&options(7, 15));
        let b = generate(&options(7, 15));
        let c = generate(&options(8, 15));
        assert_eq!(a, b);
        assert_ne!(a.records, c.records);
        assert_eq!(
            serde_json::to_string(&a).expect("json"),
            serde_json::to_string(&b).expect("json")
        );
    }

    #[test]
    fn every_record_validates() {
        for seed in 1..=3 {
            for today in todays() {
                let document = generate(&options_at(seed, 40, today));
                for record in &document.records {
                    assert_eq!(
                        record.validate(),
                        Vec::new(),
                        "{}",
                        record.header().document_id
                    );
                }
                assert_eq!(
                    crate::import::validate(&document),
                    Vec::new(),
                    "seed {seed}, {today}"
                );
            }
        }
    }

    #[test]
    fn nothing_lies_in_the_future() {
        for today in todays() {
            let midnight = today.and_time(NaiveTime::MIN);
            let output = generate_with_pupils(&options_at(11, 40, today));
            let births: BTreeMap<&str, NaiveDate> = output
                .pupils
                .iter()
                .map(|p| (p.patient_id.as_str(), p.birth_date))
                .collect();
            for record in &output.document.records {
                let header = record.header();
                let birth = births[header.patient_id].and_time(NaiveTime::MIN);
                for t in stamps(record) {
                    assert!(
                        t < midnight,
                        "{} at {t} (today {today})",
                        header.document_id
                    );
                    assert!(t >= birth, "{} before birth", header.document_id);
                }
            }
        }
    }

    #[test]
    fn identity_numbers_are_valid_test_numbers_and_ages_are_6_to_16() {
        for today in todays() {
            let output = generate_with_pupils(&options_at(3, 60, today));
            let mut samordning = 0;
            for pupil in &output.pupils {
                let id = PatientId::from_typed(&pupil.patient_id, &pupil.patient_id_type)
                    .expect("valid identity number");
                assert!(PatientId::parse_at(&pupil.patient_id, today).is_ok());
                assert_eq!(id.birth_date(), Some(pupil.birth_date));
                assert!(
                    matches!(&pupil.patient_id[8..10], "98" | "99"),
                    "test series"
                );
                let male = (pupil.patient_id.as_bytes()[10] - b'0') % 2 == 1;
                assert_eq!(male, pupil.sex == Sex::Male);
                if pupil.patient_id_type == SAMORDNINGSNUMMER_OID {
                    samordning += 1;
                    assert!(pupil.arrived.is_some_and(|a| a < today));
                }
                let age = today
                    .years_since(pupil.birth_date)
                    .expect("born before today");
                assert!((6..=16).contains(&age), "age {age}");
                assert_eq!(age, pupil.age);
            }
            assert!(samordning >= 3, "a few samordningsnummer");
            let unique: BTreeSet<_> = output.pupils.iter().map(|p| &p.patient_id).collect();
            assert_eq!(unique.len(), output.pupils.len());
        }
    }

    #[test]
    fn luhn_check_digit_matches_known_test_numbers() {
        assert_eq!(
            test_identity_number(ymd(1990, 1, 1), 980, false),
            "199001019802"
        );
        assert_eq!(
            test_identity_number(ymd(2020, 12, 31), 981, false),
            "202012319816"
        );
        assert_eq!(
            test_identity_number(ymd(2004, 2, 29), 982, false),
            "200402299820"
        );
        assert_eq!(
            test_identity_number(ymd(2010, 5, 1), 990, true),
            "201005619901"
        );
    }

    /// The earliest age (days) and school year at which the programme gives each vaccine.
    fn programme_minimum(atc: &str) -> (i64, i32) {
        match atc {
            "J07BH01" => (42, -7),
            "J07CA09" | "J07AL02" => (84, -7),
            "J07BD52" => (540, -7),
            "J07CA02" => (5 * 365 - 7, -7),
            "J07BM03" => (9 * 365, 5),
            "J07AJ52" => (12 * 365, 8),
            other => panic!("unexpected vaccine {other}"),
        }
    }

    #[test]
    fn vaccinations_follow_the_programme_and_the_pupils_age() {
        let output = generate_with_pupils(&options(5, 200));
        let pupils: BTreeMap<&str, &SeededPupil> = output
            .pupils
            .iter()
            .map(|p| (p.patient_id.as_str(), p))
            .collect();
        let mut doses: BTreeMap<(&str, &str), Vec<i32>> = BTreeMap::new();
        for record in &output.document.records {
            let ImportRecord::Vaccination(v) = record else {
                continue;
            };
            let pupil = pupils[v.patient_id.as_str()];
            let atc = v.vaccine_type_code.as_deref().expect("ATC code");
            let given = TimeStamp::parse(&v.administration_time)
                .expect("stamp")
                .local()
                .date();
            let (min_days, min_year) = programme_minimum(atc);
            assert!(
                (given - pupil.birth_date).num_days() >= min_days,
                "{atc} too early"
            );
            assert!(
                school_year_on(pupil.birth_date, given) >= min_year,
                "{atc} before its year"
            );
            if atc == "J07BH01" {
                assert!(
                    pupil.birth_date >= ymd(2019, 9, 1),
                    "rotavirus only from 2019-09"
                );
                assert!((given - pupil.birth_date).num_days() <= 24 * 7);
            }
            // Pupils who arrived recently have nothing from the Swedish BVC.
            if pupil.arrived.is_some() {
                assert_eq!(v.source_system_hsa_id, "SE2120009994-EH7S");
            }
            doses
                .entry((v.patient_id.as_str(), atc))
                .or_default()
                .push(v.dose_ordinal_number.unwrap_or(0));
        }
        // Doses of a series are numbered in order without repeats.
        for ((_, atc), numbers) in &doses {
            let mut sorted = numbers.clone();
            sorted.dedup();
            assert_eq!(&sorted, numbers, "{atc}");
            assert!(
                numbers.windows(2).all(|w| w[0] < w[1]),
                "{atc}: {numbers:?}"
            );
        }
        // Everybody old enough has the infant series, except a few gaps; some pupils
        // lack MPR or HPV.
        let with = |atc: &str, of: &dyn Fn(&SeededPupil) -> bool| {
            let group: Vec<_> = output.pupils.iter().filter(|p| of(p)).collect();
            let vaccinated = group
                .iter()
                .filter(|p| doses.contains_key(&(p.patient_id.as_str(), atc)))
                .count();
            (vaccinated, group.len())
        };
        let (infant, born_here) = with("J07CA09", &|p| p.arrived.is_none());
        assert_eq!(infant, born_here);
        let (mpr, all) = with("J07BD52", &|_| true);
        assert!(
            mpr < all && mpr > all * 3 / 4,
            "some MPR gaps: {mpr} of {all}"
        );
        let (hpv, old_enough) = with("J07BM03", &|p| p.school_year >= 6);
        assert!(
            hpv < old_enough && hpv > old_enough / 2,
            "some HPV gaps: {hpv} of {old_enough}"
        );
        let (none, too_young) = with("J07BM03", &|p| p.school_year < 5);
        assert_eq!(none, 0, "no HPV before year 5 ({too_young} pupils)");
        let (none, too_young) = with("J07AJ52", &|p| p.school_year < 8);
        assert_eq!(none, 0, "no dTp before year 8 ({too_young} pupils)");
    }

    #[test]
    fn twenty_pupils_show_every_kind_of_record() {
        let counts = record_counts(&generate(&options(1, 20)));
        for (kind, count) in &counts {
            assert!(*count > 0, "{kind}");
        }
        let kinds: Vec<&str> = counts.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                "diagnosis",
                "careContact",
                "medication",
                "vaccination",
                "careDocumentation",
                "observation"
            ]
        );
    }

    #[test]
    fn every_pupil_born_here_has_a_bvc_summary_and_school_visits() {
        let today = ymd(2026, 11, 22);
        let output = generate_with_pupils(&options_at(9, 40, today));
        for pupil in &output.pupils {
            let notes: Vec<&CareDocumentationRecord> = output
                .document
                .records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::CareDocumentation(n) if n.patient_id == pupil.patient_id => {
                        Some(n)
                    }
                    _ => None,
                })
                .collect();
            let summaries: Vec<_> = notes.iter().filter(|n| n.note_type_code == "sam").collect();
            if pupil.arrived.is_none() {
                assert_eq!(summaries.len(), 1);
                let summary = summaries[0];
                assert_eq!(summary.source_system_hsa_id, "SE2321009991-BV3C");
                let written = TimeStamp::parse(&summary.author_time)
                    .expect("stamp")
                    .local()
                    .date();
                let age = (written - pupil.birth_date).num_days() as f64 / 365.25;
                assert!((5.3..6.6).contains(&age), "summary at {age}");
            } else {
                assert!(summaries.is_empty());
            }
            if pupil.school_year >= 1 || today.month() < 8 {
                assert!(
                    notes
                        .iter()
                        .any(|n| n.note_type_code == "bes" || n.note_type_code == "ins")
                );
            }
        }
    }

    #[test]
    fn swedish_holidays_are_not_working_days() {
        assert_eq!(easter(2024), ymd(2024, 3, 31));
        assert_eq!(easter(2026), ymd(2026, 4, 5));
        for holiday in [
            ymd(2017, 12, 26),
            ymd(2024, 3, 29),
            ymd(2024, 4, 1),
            ymd(2024, 5, 9),
            ymd(2024, 6, 21),
            ymd(2026, 1, 6),
        ] {
            assert!(!working_day(holiday), "{holiday}");
        }
        assert!(working_day(ymd(2024, 6, 20)));
        let document = generate(&options(5, 40));
        for record in &document.records {
            if let ImportRecord::CareContact(r) = record {
                let start = TimeStamp::parse(&r.care_contact_start)
                    .expect("stamp")
                    .local();
                assert!(working_day(start.date()), "{start}");
                assert!((8..16).contains(&start.hour()));
            }
        }
    }

    #[test]
    fn growth_is_plausible() {
        assert!((median(Sex::Male, 0.0).0 - 50.5).abs() < 1e-9);
        for sex in [Sex::Male, Sex::Female] {
            let mut last = (0.0, 0.0, 0.0);
            for month in 0..=204 {
                let (l, w, h) = median(sex, f64::from(month));
                assert!(l >= last.0 && w >= last.1 && h >= last.2);
                last = (l, w, h);
            }
        }
        let output = generate_with_pupils(&options(2, 60));
        let pupils: BTreeMap<&str, &SeededPupil> = output
            .pupils
            .iter()
            .map(|p| (p.patient_id.as_str(), p))
            .collect();
        for record in &output.document.records {
            let ImportRecord::Observation(o) = record else {
                continue;
            };
            let pupil = pupils[o.patient_id.as_str()];
            let at = TimeStamp::parse(&o.observation_time)
                .expect("stamp")
                .local()
                .date();
            let months = (at - pupil.birth_date).num_days() as f64 / 30.4375;
            let (l, w, h) = median(pupil.sex, months);
            let value: f64 = o
                .value_quantity
                .as_deref()
                .expect("value")
                .parse()
                .expect("number");
            let ratio = match o.observation_type_code.as_str() {
                "248334005" => value / l,
                "27113001" => value / w,
                "363812007" => {
                    assert!(months < 19.5, "head circumference until 18 months");
                    value / h
                }
                "60621009" => {
                    assert!((11.0..40.0).contains(&value), "BMI {value}");
                    continue;
                }
                other => panic!("unexpected observation {other}"),
            };
            assert!(
                (0.6..1.9).contains(&ratio),
                "{} {value} at {months:.1} months",
                o.observation_type_code
            );
        }
    }
}
