//! Test records in the contracts' shapes, made the way real data reaches the consumer:
//! as producer import records (the vendor format), mapped by the producer's own
//! `to_contract`.

use chrono::NaiveDate;
use npo_contracts::actoutcome::VaccinationMedicalRecordType;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;
use npo_contracts::types::{PERSONNUMMER_OID, PatientId, SAMORDNINGSNUMMER_OID};
use npo_producer::import::ImportRecord;
use serde_json::{Value, json};

pub const BVC_UNIT: &str = "BVC Vårdcentralen Solbacken";

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A test personnummer (or samordningsnummer) for `birth`.
pub fn patient(birth: NaiveDate, samordningsnummer: bool) -> PatientId {
    let number = npo_producer::seed::test_identity_number(birth, 982, samordningsnummer);
    PatientId::parse_canonical(&number).expect("valid test number")
}

fn stamp(day: NaiveDate) -> String {
    day.format("%Y%m%d100000").to_string()
}

fn header(patient: &PatientId, id: &str, day: NaiveDate, unit: &str) -> Value {
    let oid = match patient.kind() {
        npo_contracts::types::PatientIdKind::Personnummer => PERSONNUMMER_OID,
        npo_contracts::types::PatientIdKind::Samordningsnummer => SAMORDNINGSNUMMER_OID,
    };
    json!({
        "documentId": id,
        "sourceSystemHsaId": "SE2321009991-BV3C",
        "patientId": patient.as_str(),
        "patientIdType": oid,
        "authorTime": stamp(day),
        "authorHsaId": "SE2321009991-BSK1",
        "authorName": "Eva Nyström",
        "authorOrgUnitHsaId": "SE2321009991-BVC1",
        "authorOrgUnitName": unit,
        "careUnitHsaId": "SE2321009991-BVC1",
        "careGiverHsaId": "SE2321009991-0001",
        "approvedForPatient": true,
    })
}

fn record(kind: &str, mut head: Value, fields: Value) -> ImportRecord {
    if let (Some(h), Some(f)) = (head.as_object_mut(), fields.as_object()) {
        h.insert("type".to_owned(), json!(kind));
        h.extend(f.clone());
    }
    serde_json::from_value(head).expect("import record")
}

/// A vaccination with an ATC code and/or product name.
pub fn vaccination(
    patient: &PatientId,
    id: &str,
    day: NaiveDate,
    atc: Option<&str>,
    product: Option<&str>,
) -> VaccinationMedicalRecordType {
    let r = record(
        "vaccination",
        header(patient, id, day, BVC_UNIT),
        json!({
            "administrationTime": stamp(day),
            "vaccineName": product,
            "vaccineTypeCode": atc,
            "vaccineTypeName": atc.map(|_| "Vaccin"),
            "inNationalProgramme": true,
            "careGiverName": "Region Exempel",
        }),
    );
    match r {
        ImportRecord::Vaccination(v) => v.to_contract().expect("contract"),
        _ => unreachable!(),
    }
}

/// One observation as its own group.
pub fn observation(
    patient: &PatientId,
    id: &str,
    day: NaiveDate,
    code: &str,
    value: &str,
    unit: &str,
    unit_name: &str,
) -> ObservationGroupType {
    let r = record(
        "observation",
        header(patient, id, day, unit_name),
        json!({
            "observationTypeCode": code,
            "observationTypeDisplayName": "Mått",
            "observationTime": stamp(day),
            "valueQuantity": value,
            "valueUnit": unit,
        }),
    );
    match r {
        ImportRecord::Observation(o) => o.to_contract().expect("contract"),
        _ => unreachable!(),
    }
}

/// A care contact (KV Vårdkontakttyp `code`) at the named unit.
pub fn contact(
    patient: &PatientId,
    id: &str,
    day: NaiveDate,
    code: &str,
    reason: &str,
    unit_name: &str,
    status: &str,
) -> CareContactType {
    let r = record(
        "careContact",
        header(patient, id, day, unit_name),
        json!({
            "careContactCode": code,
            "careContactReason": reason,
            "careContactOrgUnitHsaId": "SE2321009991-BVC1",
            "careContactOrgUnitName": unit_name,
            "careContactStart": stamp(day),
            "careContactStatus": status,
        }),
    );
    match r {
        ImportRecord::CareContact(c) => c.to_contract().expect("contract"),
        _ => unreachable!(),
    }
}

/// A signed note of type `code` at the named unit.
pub fn note(
    patient: &PatientId,
    id: &str,
    day: NaiveDate,
    code: &str,
    title: &str,
    text: &str,
    unit_name: &str,
) -> CareDocumentationType {
    let mut head = header(patient, id, day, unit_name);
    if let Some(h) = head.as_object_mut() {
        h.insert("legalAuthenticatorName".to_owned(), json!("Eva Nyström"));
        h.insert("signatureTime".to_owned(), json!(stamp(day)));
    }
    let r = record(
        "careDocumentation",
        head,
        json!({
            "noteTypeCode": code,
            "noteTitle": title,
            "noteText": text,
        }),
    );
    match r {
        ImportRecord::CareDocumentation(n) => n.to_contract().expect("contract"),
        _ => unreachable!(),
    }
}

/// An element of a parsed XML document: name, attributes (unescaped) and its own
/// text (unescaped, children's text not included).
#[derive(Debug, Clone, Default)]
pub struct XmlElement {
    pub name: String,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub text: String,
}

/// Parses `document` as XML (failing the test when it is not well-formed) and lists its
/// elements in document order.
pub fn xml_elements(document: &str) -> Vec<XmlElement> {
    use quick_xml::events::{BytesStart, Event};
    let mut reader = quick_xml::Reader::from_str(document);
    let mut done: Vec<XmlElement> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let element = |start: &BytesStart<'_>| XmlElement {
        name: start.name().as_ref().to_owned(),
        attributes: start
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    a.key.as_ref().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::default())
                        .expect("attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        text: String::new(),
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                done.push(element(&start));
                open.push(done.len() - 1);
            }
            Event::Empty(start) => done.push(element(&start)),
            Event::End(_) => {
                open.pop().expect("balanced");
            }
            Event::Text(text) => {
                if let Some(&i) = open.last() {
                    done[i].text.push_str(&text.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().expect("char ref") {
                    Some(c) => c.to_string(),
                    None => match reference.xml10_content().as_ref() {
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "amp" => "&".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        other => panic!("unknown entity &{other};"),
                    },
                };
                if let Some(&i) = open.last() {
                    done[i].text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(open.is_empty(), "unclosed elements");
    done
}
