//! Health visits against the basprogram: per visit, attended (a care contact of type
//! Besök that took place, or a visit note, from a child-health unit in the visit's age
//! window), missing, ongoing or not yet due.

use chrono::NaiveDate;
use npo_contracts::healthcond_description_v3::{CareDocumentationType, NoteType, hsa_id_of};
use npo_contracts::logistics::{CareContactType, KV_VARDKONTAKTTYP_OID};
use npo_contracts::types::PatientId;

use super::programme::BvcProgramme;
use super::source::{self, Source};
use super::timing::age_label_sv;

/// KV Vårdkontakttyp `1` Besök.
const VISIT_CODE: &str = "1";
/// Contact statuses of contacts that did not take place.
const NOT_HELD: &[&str] = &["ej påbörjad", "inställd", "avbruten"];

/// The state of one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitState {
    /// A matching contact or note lies in the window.
    Attended,
    /// The window has passed without one.
    Missing,
    /// Today lies in the window and none is recorded yet.
    Ongoing,
    /// The window is still ahead.
    NotYetDue,
}

impl VisitState {
    /// The Swedish label.
    pub fn label_sv(self) -> &'static str {
        match self {
            VisitState::Attended => "Genomfört",
            VisitState::Missing => "Saknas",
            VisitState::Ongoing => "Pågår",
            VisitState::NotYetDue => "Ej aktuellt än",
        }
    }

    /// A CSS class for the state.
    pub fn css_class(self) -> &'static str {
        match self {
            VisitState::Attended => "bvc-given",
            VisitState::Missing => "bvc-missing",
            VisitState::Ongoing => "bvc-due",
            VisitState::NotYetDue => "bvc-pending",
        }
    }
}

/// What shows a visit took place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitEvidence {
    /// The day.
    pub date: NaiveDate,
    /// The child's age that day.
    pub age: String,
    /// Contact reason or note title.
    pub description: String,
    /// `Vårdkontakt` or `Anteckning`.
    pub kind: &'static str,
    /// Where it was recorded.
    pub source: Source,
}

/// One visit for this child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitStatus {
    /// Key from the programme.
    pub key: String,
    /// Title.
    pub title: String,
    /// The planned age (Swedish).
    pub recommended: String,
    /// First day of the window.
    pub from_date: Option<NaiveDate>,
    /// Last day of the window.
    pub to_date: Option<NaiveDate>,
    /// The state.
    pub state: VisitState,
    /// The first contact or note in the window.
    pub evidence: Option<VisitEvidence>,
    /// How many more contacts or notes lie in the window.
    pub more: usize,
}

/// Whether a contact took place as a visit from child health care, and its day.
fn contact_visit(
    contact: &CareContactType,
    programme: &BvcProgramme,
    birth: NaiveDate,
) -> Option<VisitEvidence> {
    let body = &contact.care_contact_body;
    let is_visit = body.care_contact_code.as_ref().is_none_or(|code| {
        code.code.as_deref() == Some(VISIT_CODE)
            && code
                .code_system
                .as_deref()
                .is_none_or(|s| s == KV_VARDKONTAKTTYP_OID)
    });
    let held = body
        .care_contact_status
        .as_ref()
        .and_then(|s| s.original_text.as_deref().or(s.display_name.as_deref()))
        .is_none_or(|s| !NOT_HELD.contains(&s.trim().to_lowercase().as_str()));
    let professional = &contact
        .care_contact_header
        .accountable_healthcare_professional;
    let unit_names = [
        body.care_contact_org_unit
            .as_ref()
            .and_then(|u| u.org_unit_name.as_deref()),
        professional
            .healthcare_professional_org_unit
            .as_ref()
            .and_then(|u| u.org_unit_name.as_deref()),
    ];
    let reason = body.care_contact_reason.as_deref();
    let unit_ids = [professional
        .healthcare_professional_care_unit_hsa_id
        .as_deref()];
    let child_health = programme
        .child_health
        .matches(&unit_ids, &unit_names, &[reason]);
    if !(is_visit && held && child_health) {
        return None;
    }
    let date = body
        .care_contact_time_period
        .as_ref()
        .map_or(professional.author_time, |p| p.start)
        .local()
        .date();
    Some(VisitEvidence {
        date,
        age: age_label_sv(birth, date).unwrap_or_default(),
        description: reason.unwrap_or("Besök").to_owned(),
        kind: "Vårdkontakt",
        source: source::of_contact(contact),
    })
}

/// Whether a note is a visit note from child health care, and its day.
fn note_visit(
    note: &CareDocumentationType,
    programme: &BvcProgramme,
    birth: NaiveDate,
) -> Option<VisitEvidence> {
    if note.body.note_type() != Some(NoteType::Besoksanteckning) {
        return None;
    }
    let author = note.header.author.as_ref();
    let unit = author
        .and_then(|a| a.org_unit.as_ref())
        .and_then(|u| u.org_unit_name.as_deref());
    let unit_id = note
        .header
        .access_control_header
        .accountable_care_unit
        .as_ref()
        .and_then(hsa_id_of);
    let title = note.body.clinical_document_note_title.as_deref();
    if !programme
        .child_health
        .matches(&[unit_id], &[unit], &[title])
    {
        return None;
    }
    let date = author
        .map_or(note.header.record.timestamp, |a| a.timestamp)
        .local()
        .date();
    Some(VisitEvidence {
        date,
        age: age_label_sv(birth, date).unwrap_or_default(),
        description: title.unwrap_or("Besöksanteckning").to_owned(),
        kind: "Anteckning",
        source: source::of_note(note),
    })
}

/// Measures the child's contacts and notes against the basprogram on `today`. Records
/// of another patient are counted in `foreign` and left out.
pub fn evaluate(
    contacts: &[CareContactType],
    notes: &[CareDocumentationType],
    programme: &BvcProgramme,
    patient: &PatientId,
    birth: NaiveDate,
    today: NaiveDate,
    foreign: &mut usize,
) -> Vec<VisitStatus> {
    let mut evidence: Vec<VisitEvidence> = Vec::new();
    for contact in contacts {
        if contact.care_contact_header.patient_id.id != patient.as_str() {
            *foreign += 1;
            continue;
        }
        evidence.extend(contact_visit(contact, programme, birth));
    }
    for note in notes {
        // Foreign notes are counted once, by the notes section.
        if note
            .header
            .access_control_header
            .patient_id
            .extension
            .as_deref()
            == Some(patient.as_str())
        {
            evidence.extend(note_visit(note, programme, birth));
        }
    }
    evidence.retain(|e| e.date <= today);
    // Contacts before notes on the same day, then by source, for a stable choice.
    evidence.sort_by(|a, b| {
        (
            a.date,
            a.kind != "Vårdkontakt",
            &a.source.source_system,
            &a.description,
        )
            .cmp(&(
                b.date,
                b.kind != "Vårdkontakt",
                &b.source.source_system,
                &b.description,
            ))
    });

    programme
        .basprogram
        .visits
        .iter()
        .map(|visit| {
            let from_date = visit.from.resolve(birth);
            let to_date = visit.to.resolve(birth);
            let inside: Vec<&VisitEvidence> = evidence
                .iter()
                .filter(|e| {
                    from_date.is_some_and(|f| e.date >= f) && to_date.is_some_and(|t| e.date <= t)
                })
                .collect();
            let state = if !inside.is_empty() {
                VisitState::Attended
            } else if to_date.is_some_and(|t| today > t) {
                VisitState::Missing
            } else if from_date.is_some_and(|f| today >= f) {
                VisitState::Ongoing
            } else {
                VisitState::NotYetDue
            };
            VisitStatus {
                key: visit.key.clone(),
                title: visit.title.clone(),
                recommended: visit.recommended.label_sv(),
                from_date,
                to_date,
                state,
                evidence: inside.first().map(|e| (*e).clone()),
                more: inside.len().saturating_sub(1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bvc::testdata::{BVC_UNIT, contact, note, patient, ymd};

    fn run(
        contacts: &[CareContactType],
        notes: &[CareDocumentationType],
        birth: NaiveDate,
        today: NaiveDate,
    ) -> Vec<VisitStatus> {
        let programme = BvcProgramme::embedded().expect("programme");
        let mut foreign = 0;
        evaluate(
            contacts,
            notes,
            &programme,
            &patient(birth, false),
            birth,
            today,
            &mut foreign,
        )
    }

    fn state(visits: &[VisitStatus], key: &str) -> VisitState {
        visits
            .iter()
            .find(|v| v.key == key)
            .map(|v| v.state)
            .expect("visit")
    }

    #[test]
    fn a_held_bvc_visit_in_the_window_counts_up_to_its_last_day() {
        let birth = ymd(2020, 1, 1);
        let pupil = patient(birth, false);
        // 3 months: days 71–108, so 2020-03-12 to 2020-04-18.
        let contacts = [
            contact(
                &pupil,
                "a",
                ymd(2020, 4, 18),
                "1",
                "Hälsobesök 3 månader",
                BVC_UNIT,
                "Avslutad",
            ),
            contact(
                &pupil,
                "b",
                ymd(2020, 4, 19),
                "1",
                "Hälsobesök",
                BVC_UNIT,
                "Avslutad",
            ),
        ];
        let visits = run(&contacts, &[], birth, ymd(2026, 1, 1));
        let three = visits.iter().find(|v| v.key == "3m").expect("3m");
        assert_eq!(three.to_date, Some(ymd(2020, 4, 18)));
        assert_eq!(three.state, VisitState::Attended);
        assert_eq!(
            three.evidence.as_ref().map(|e| e.age.as_str()),
            Some("3 mån")
        );
        // The day after belongs to the next window (4 months).
        assert_eq!(state(&visits, "4m"), VisitState::Attended);
        assert_eq!(state(&visits, "5m"), VisitState::Missing);
        assert_eq!(state(&visits, "5m").label_sv(), "Saknas");
    }

    #[test]
    fn phone_calls_cancelled_visits_and_other_units_do_not_count() {
        let birth = ymd(2020, 1, 1);
        let pupil = patient(birth, false);
        let day = ymd(2020, 7, 10); // 6 months
        let contacts = [
            contact(
                &pupil,
                "phone",
                day,
                "2",
                "Telefonsamtal BVC",
                BVC_UNIT,
                "Avslutad",
            ),
            contact(
                &pupil,
                "off",
                day,
                "1",
                "Hälsobesök 6 månader",
                BVC_UNIT,
                "Inställd",
            ),
            contact(
                &pupil,
                "er",
                day,
                "1",
                "Hälsobesök",
                "Akutmottagningen Barn",
                "Avslutad",
            ),
        ];
        let visits = run(&contacts, &[], birth, ymd(2026, 1, 1));
        assert_eq!(state(&visits, "6m"), VisitState::Missing);
        // A visit note from the BVC counts on its own; a school note does not.
        let notes = [
            note(
                &pupil,
                "n1",
                day,
                "bes",
                "Hälsobesök 6 månader",
                "Text",
                BVC_UNIT,
            ),
            note(
                &pupil,
                "n2",
                ymd(2020, 9, 10),
                "bes",
                "Besök",
                "Text",
                "Elevhälsan Björkskolan",
            ),
        ];
        let visits = run(&contacts, &notes, birth, ymd(2026, 1, 1));
        assert_eq!(state(&visits, "6m"), VisitState::Attended);
        assert_eq!(state(&visits, "8m"), VisitState::Missing);
    }

    #[test]
    fn windows_ahead_and_around_today_are_not_missing() {
        let birth = ymd(2020, 1, 1);
        let visits = run(&[], &[], birth, ymd(2020, 1, 30)); // day 29: the 4-week window
        assert_eq!(state(&visits, "hembesok"), VisitState::Missing);
        assert_eq!(state(&visits, "4v"), VisitState::Ongoing);
        assert_eq!(state(&visits, "6-8v"), VisitState::NotYetDue);
    }
}
