//! `POST /GetObservations/1/rivtabp21`.
//!
//! Request rules: `patientId` is an IIType (`root` the personnummer or
//! samordningsnummer OID, `extension` a valid number of that kind); `careUnitId` and
//! `careGiverId` are HSA IITypes (`root` 1.2.752.129.2.1.4.1, `extension` the HSA-ID);
//! `sourceSystemHSAId`, when given, must equal the LogicalAddress; `time` must not end
//! before it starts; `interactionAgreementId` (a UUID) is required by the schema and
//! checked for form when the message is read (agreements themselves are the platform's
//! and the consumer's business).
//!
//! **This contract's response has no `result` element**, so a request breaking one of
//! these rules is answered with a SOAP Fault (`faultcode` Client, HTTP 500) whose
//! `faultstring` starts with `Invalid request:` and names the element and the rule
//! (never echoing the patient's number). An unknown patient is not an error: an empty
//! response.
//!
//! Filters: `time` keeps observations whose observation time lies in it, or, for an
//! observation made over a period, whose period overlaps it (end points included; an
//! open end of `time` is unbounded); `observationType` matches code and code system,
//! `observationId` matches `root` (the source system's HSA-ID) and `extension` (the
//! documentId). Our observations carry no relations, so a request with `relation`
//! filters gets no observations.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::XmlError;
use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::healthcond_basic::{CvType as BasicCv, IiType as BasicIi};
use npo_contracts::healthcond_description_v3::HSA_ID_OID;
use npo_contracts::soap::SoapError;
use npo_contracts::types::{CvType, IiType, TimeStamp};

use super::soap::{AppState, CallContext, CommonRequest, ProducerError, common_filters, handle};
use crate::source::{ObservationFilters, Period};

/// The fault for a request that breaks a rule of `element`.
fn invalid(element: &'static str, reason: impl Into<String>) -> ProducerError {
    ProducerError::Soap(SoapError::Xml(XmlError::InvalidValue {
        element,
        reason: reason.into(),
    }))
}

/// The HSA-ID of an HSA IIType.
fn hsa_id(element: &'static str, id: &BasicIi) -> Result<String, ProducerError> {
    let hsa = id.extension.trim();
    if id.root.trim() == HSA_ID_OID && !hsa.is_empty() {
        Ok(hsa.to_owned())
    } else {
        Err(invalid(
            element,
            format!("root must be the HSA-ID OID {HSA_ID_OID} and extension an HSA-ID"),
        ))
    }
}

/// The earliest and latest time stamps a TimeStampType can hold (years 1900–2099): the
/// bounds of an open-ended `time`.
fn open_end(text: &str) -> Result<TimeStamp, ProducerError> {
    TimeStamp::parse(text)
        .ok_or_else(|| ProducerError::Internal(format!("bound {text} is not a time stamp")))
}

/// The filters of a request, or the fault for the first rule it breaks.
fn filters(
    request: &GetObservations,
    context: &CallContext,
) -> Result<ObservationFilters, ProducerError> {
    if let Some(source) = &request.source_system_hsa_id
        && !source.trim().eq_ignore_ascii_case(&context.source_system)
    {
        return Err(invalid(
            "sourceSystemHSAId",
            "must equal the LogicalAddress",
        ));
    }
    let care_units: Vec<String> = request
        .care_unit_id
        .iter()
        .map(|id| hsa_id("careUnitId", id))
        .collect::<Result<_, _>>()?;
    let care_givers: Vec<String> = request
        .care_giver_id
        .iter()
        .map(|id| hsa_id("careGiverId", id))
        .collect::<Result<_, _>>()?;
    let patient = &request.patient_id;
    let common = CommonRequest {
        patient_id: &patient.extension,
        patient_id_type: &patient.root,
        period: None,
        source_system_hsa_id: None,
        care_contact_ids: &[],
        care_unit_hsa_ids: &care_units,
        care_giver_hsa_ids: &care_givers,
    };
    // With no period, source system or care contacts, only the patient can be wrong.
    let mut common = common_filters(&common, context).map_err(|message| {
        let reason = message.strip_prefix("patientId: ").unwrap_or(&message);
        invalid("patientId", reason)
    })?;
    common.period = match &request.time {
        Some(time) if time.start.is_some() || time.end.is_some() => {
            let start = match time.start {
                Some(start) => start,
                None => open_end("19000101000000")?,
            };
            let end = match time.end {
                Some(end) => end,
                None => open_end("20991231235959")?,
            };
            if end < start {
                return Err(invalid("time", "the period ends before it starts"));
            }
            Some(Period { start, end })
        }
        _ => None,
    };
    Ok(ObservationFilters {
        common,
        observation_types: request.observation_type.iter().map(cv).collect(),
        observation_ids: request
            .observation_id
            .iter()
            .map(|id| IiType {
                root: id.root.trim().to_owned(),
                extension: Some(id.extension.trim().to_owned()),
            })
            .collect(),
    })
}

/// An `observationType` of the request as the shared CVType the filters use.
fn cv(code: &BasicCv) -> CvType {
    CvType {
        code: Some(code.code.trim().to_owned()),
        code_system: Some(code.code_system.trim().to_owned()),
        code_system_name: None,
        code_system_version: None,
        display_name: code.display_name.clone(),
        original_text: None,
    }
}

/// Answers GetObservations.
pub async fn get_observations(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetObservations, _>(&req, payload, &state, |state, request, context| {
        let filters = filters(&request, &context)?;
        if !request.relation.is_empty() {
            return Ok(GetObservationsResponse {
                observation_group: Vec::new(),
            });
        }
        let mut observation_group = state.source.observations(&filters)?;
        // Whatever the journal returns: only the LogicalAddress's source system (R3) and
        // the requested patient, and no empty group (the contract's groups hold at
        // least one observation). Nullified observations never reach a group (the store
        // never selects them; this contract has no nullified flag to check).
        let patient = &filters.common.patient;
        observation_group.retain(|g| {
            !g.observation.is_empty()
                && g.source_system
                    .id
                    .extension
                    .trim()
                    .eq_ignore_ascii_case(&filters.common.source_system)
                && g.patient.id.to_patient_id().is_ok_and(|p| p == *patient)
        });
        Ok(GetObservationsResponse { observation_group })
    })
    .await
}
