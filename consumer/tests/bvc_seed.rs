//! The BVC summary over data made by the real producer seed (`npo producer seed`),
//! mapped to the contracts by the producer's own code: every vaccination, visit and
//! growth measurement the seed makes is recognised by the embedded programme, so the
//! codes of the seed, the programme file and the evaluation line up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::NaiveDate;
use npo_consumer::bvc::summary::BvcInputs;
use npo_consumer::bvc::vaccinations::DoseState;
use npo_consumer::bvc::visits::VisitState;
use npo_consumer::bvc::{BvcProgramme, summarise};
use npo_contracts::types::{PatientId, TimeStamp};
use npo_producer::import::ImportRecord;
use npo_producer::records::observation::{ObservationRecord, group};
use npo_producer::seed::{SeedOptions, generate_with_pupils};

const BVC_SYSTEM: &str = "SE2321009991-BV3C";
const GROWTH_CODES: [&str; 3] = ["248334005", "27113001", "363812007"];

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Parses `document` as XML to its end (panics when it is not well-formed) and counts
/// the elements named `name`.
fn count_elements(document: &str, name: &str) -> usize {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(document);
    let mut count = 0;
    loop {
        match reader.read_event().expect("well-formed") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == name => count += 1,
            Event::Eof => return count,
            _ => {}
        }
    }
}

#[test]
fn the_summary_recognises_everything_the_seed_makes() {
    let programme = BvcProgramme::embedded().expect("embedded programme");
    let mut checked = (0, 0, 0, 0);
    for (seed, today) in [
        (1, ymd(2026, 11, 22)),
        (2, ymd(2028, 2, 29)),
        (3, ymd(2025, 8, 20)),
    ] {
        let options =
            SeedOptions::for_source_systems(seed, 40, today, "SE2120009994-EH7S", BVC_SYSTEM);
        let output = generate_with_pupils(&options);
        for pupil in &output.pupils {
            let id = PatientId::from_typed(&pupil.patient_id, &pupil.patient_id_type)
                .expect("valid identity number");
            let mine = |r: &&ImportRecord| r.header().patient_id == pupil.patient_id;
            let records: Vec<&ImportRecord> = output.document.records.iter().filter(mine).collect();
            let vaccinations: Vec<_> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::Vaccination(v) => Some(v.to_contract().expect("contract")),
                    _ => None,
                })
                .collect();
            let observation_records: Vec<&ObservationRecord> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::Observation(o) => Some(o),
                    _ => None,
                })
                .collect();
            let observations = group(observation_records.iter().copied());
            let notes: Vec<_> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::CareDocumentation(n) => Some(n.to_contract().expect("contract")),
                    _ => None,
                })
                .collect();
            let contacts: Vec<_> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::CareContact(c) => Some(c.to_contract().expect("contract")),
                    _ => None,
                })
                .collect();
            let inputs = BvcInputs {
                vaccinations: &vaccinations,
                observations: &observations,
                notes: &notes,
                care_contacts: &contacts,
            };
            let summary = summarise(&inputs, &programme, &id, today).expect("summary");
            let who = format!("seed {seed} {today} pupil {}", pupil.patient_id);
            assert_eq!(summary.birth_date, pupil.birth_date, "{who}");
            assert_eq!(summary.foreign_records, 0, "{who}");

            // Vaccinations: none unknown, none twice, none beyond the programme, and
            // every one counted for a dose.
            let v = &summary.vaccinations;
            assert!(v.uncounted.is_empty(), "{who}: {:?}", v.uncounted);
            assert!(v.duplicates.is_empty(), "{who}: {:?}", v.duplicates);
            assert!(v.series.iter().all(|s| s.extra.is_empty()), "{who}");
            let seeded: BTreeSet<String> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::Vaccination(v) => Some(v.document_id.clone()),
                    _ => None,
                })
                .collect();
            let counted: BTreeSet<String> = v
                .series
                .iter()
                .flat_map(|s| &s.doses)
                .filter_map(|d| d.given.as_ref().map(|g| g.document_id.clone()))
                .collect();
            assert_eq!(counted, seeded, "{who}");
            let state = |key: &str, n: usize| {
                v.series
                    .iter()
                    .find(|s| s.key == key)
                    .expect("series")
                    .doses[n - 1]
                    .state
            };
            if pupil.arrived.is_none() {
                for key in ["dtp", "polio", "hib", "pneumo"] {
                    for n in 1..=3 {
                        assert_eq!(state(key, n), DoseState::Given, "{who}: {key} {n}");
                    }
                }
                let rota = if pupil.birth_date >= ymd(2019, 9, 1) {
                    DoseState::Given
                } else {
                    DoseState::NotInProgramme
                };
                assert_eq!(state("rota", 1), rota, "{who}");
                assert_eq!(state("rota", 2), rota, "{who}");
                checked.0 += 1;
            }

            // Visits: every BVC visit the seed made counts for exactly one visit of the
            // basprogram; a newly arrived pupil has none.
            let bvc_visits: BTreeSet<NaiveDate> = records
                .iter()
                .filter_map(|r| match r {
                    ImportRecord::CareContact(c) if c.source_system_hsa_id == BVC_SYSTEM => Some(
                        TimeStamp::parse(&c.care_contact_start)
                            .expect("stamp")
                            .local()
                            .date(),
                    ),
                    _ => None,
                })
                .collect();
            let attended: BTreeSet<NaiveDate> = summary
                .visits
                .iter()
                .filter(|v| v.state == VisitState::Attended)
                .filter_map(|v| v.evidence.as_ref().map(|e| e.date))
                .collect();
            assert_eq!(attended, bvc_visits, "{who}");
            assert!(summary.visits.iter().all(|v| v.more == 0), "{who}");
            assert!(
                summary
                    .visits
                    .iter()
                    .all(|v| matches!(v.state, VisitState::Attended | VisitState::Missing)),
                "{who}: a school-age pupil's BVC visits are all in the past"
            );
            if pupil.arrived.is_some() {
                assert!(
                    attended.is_empty() && !summary.has_child_health_data(),
                    "{who}"
                );
                checked.1 += 1;
            } else {
                // The seed skips at most one visit that may be skipped.
                assert!(
                    attended.len() >= programme.basprogram.visits.len() - 1,
                    "{who}"
                );
            }

            // Growth: every length, weight and head circumference plotted, nothing
            // rejected; only BMI is left over.
            let g = &summary.growth;
            assert!(g.rejected.is_empty(), "{who}: {:?}", g.rejected);
            let seeded_growth = observation_records
                .iter()
                .filter(|o| GROWTH_CODES.contains(&o.observation_type_code.as_str()))
                .count();
            let plotted: usize = g.series.iter().map(|s| s.points.len()).sum();
            assert_eq!(plotted, seeded_growth, "{who}");
            assert!(
                g.other.iter().all(|o| o.code == "60621009"),
                "{who}: {:?}",
                g.other
            );

            // Notes: the BVC summary before school start, and nothing from the school.
            let bvc_notes = records
                .iter()
                .filter(|r| {
                    matches!(r, ImportRecord::CareDocumentation(n) if n.source_system_hsa_id == BVC_SYSTEM)
                })
                .count();
            assert_eq!(summary.notes.notes.len(), bvc_notes, "{who}");
            assert_eq!(summary.notes.other_units, notes.len() - bvc_notes, "{who}");
            if bvc_notes > 0 {
                assert_eq!(
                    summary.notes.notes[0].title.as_deref(),
                    Some("Sammanfattning BVC inför skolstart"),
                    "{who}"
                );
                checked.2 += 1;
            }

            // The fragment renders, well-formed, with one point per measurement.
            let html = summary.render().expect("render");
            assert_eq!(count_elements(&html, "circle"), plotted, "{who}");
            checked.3 += 1;
        }
    }
    // The data covered the cases above.
    assert!(
        checked.0 > 90 && checked.1 >= 6 && checked.2 > 80,
        "{checked:?}"
    );
    assert_eq!(checked.3, 120);
}
