//! BVC notes: the notes from child-health units (GetCareDocumentation), newest first,
//! each with its source.

use chrono::NaiveDateTime;
use npo_contracts::healthcond_description_v3::{CareDocumentationType, hsa_id_of};
use npo_contracts::types::PatientId;

use super::programme::BvcProgramme;
use super::source::{self, Source};

/// One note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BvcNote {
    /// When it was written.
    pub time: NaiveDateTime,
    /// Note type (KV Anteckningstyp display name, else the code).
    pub note_type: String,
    /// Title.
    pub title: Option<String>,
    /// Text (plain; shown with its line breaks).
    pub text: Option<String>,
    /// An attachment's media type, when the note is an attachment only.
    pub attachment: Option<String>,
    /// Who signed it, and when.
    pub signed: Option<String>,
    /// Where it comes from.
    pub source: Source,
}

/// The BVC notes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotesStatus {
    /// Notes from child-health units, newest first.
    pub notes: Vec<BvcNote>,
    /// Notes from other units, not shown here.
    pub other_units: usize,
}

/// The child's notes from child health care. Notes of another patient are counted in
/// `foreign` and left out.
pub fn collect(
    notes: &[CareDocumentationType],
    programme: &BvcProgramme,
    patient: &PatientId,
    foreign: &mut usize,
) -> NotesStatus {
    let mut status = NotesStatus::default();
    for note in notes {
        let header = &note.header;
        if header.access_control_header.patient_id.extension.as_deref() != Some(patient.as_str()) {
            *foreign += 1;
            continue;
        }
        let unit = header
            .author
            .as_ref()
            .and_then(|a| a.org_unit.as_ref())
            .and_then(|u| u.org_unit_name.as_deref());
        let unit_id = header
            .access_control_header
            .accountable_care_unit
            .as_ref()
            .and_then(hsa_id_of);
        let title = note.body.clinical_document_note_title.as_deref();
        if !programme
            .child_health
            .matches(&[unit_id], &[unit], &[title])
        {
            status.other_units += 1;
            continue;
        }
        let source = source::of_note(note);
        let code = &note.body.clinical_document_note_code;
        let note_type = note
            .body
            .note_type()
            .map(|t| t.display_name().to_owned())
            .or_else(|| code.display_name.clone())
            .or_else(|| code.original_text.clone())
            .or_else(|| code.code.clone())
            .unwrap_or_default();
        let signed = header.signature.as_ref().map(|s| {
            let when = s.timestamp.local().format("%Y-%m-%d %H:%M");
            match &s.name {
                Some(name) => format!("{name} {when}"),
                None => when.to_string(),
            }
        });
        status.notes.push(BvcNote {
            time: source.time.unwrap_or(header.record.timestamp.local()),
            note_type,
            title: title.map(str::to_owned),
            text: note.body.clinical_document_note_text.clone(),
            attachment: note
                .body
                .multimedia_entry
                .as_ref()
                .map(|m| m.media_type.clone()),
            signed,
            source,
        });
    }
    status.notes.sort_by(|a, b| {
        b.time
            .cmp(&a.time)
            .then(a.source.source_system.cmp(&b.source.source_system))
    });
    status
}
