//! Calls to the platform's aggregating services: one call per contract a page needs,
//! all in parallel, over mutual TLS with the consumer's function certificate, and what
//! `ProcessingStatus` says about each source.

use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use npo_contracts::actoutcome::DatePeriodType as ActDatePeriod;
use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::get_observations::GetObservations;
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::headers::{ProcessingStatus, StatusCode};
use npo_contracts::healthcond_basic::{IiType as BasicIi, Uuid};
use npo_contracts::healthcond_description_v3::patient_ii;
use npo_contracts::soap::{self, Operation, SoapError};
use npo_contracts::types::{
    Date, DatePeriodType, PatientId, PersonIdType, ResultCode, TimePeriodType,
};

use crate::config::PlatformConfig;
use crate::info::InfoType;
use crate::records::{self, Record};
use crate::window::Window;

/// Largest response read (as the platform's limit).
const MAX_RESPONSE_BYTES: usize = 15 * 1024 * 1024;

/// Header naming the original consumer system.
pub const ORIGINAL_CONSUMER_HEADER: &str = "x-rivta-original-serviceconsumer-hsaid";
/// Correlation header.
pub const CORRELATION_HEADER: &str = "x-skltp-correlation-id";

/// A source (or a whole contract) that did not deliver.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The information type affected.
    pub kind: InfoType,
    /// The source's logical address, when one source failed (`None`: the whole call).
    pub source: Option<String>,
    /// What happened, in Swedish.
    pub text: String,
}

/// What a page's calls delivered.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Every record received (unfiltered).
    pub records: Vec<Record>,
    /// Sources or contracts that failed.
    pub failures: Vec<Failure>,
}

/// The platform client of one worker (awc clients are per thread).
#[derive(Clone)]
pub struct PlatformClient {
    client: awc::Client,
    settings: Arc<PlatformConfig>,
}

impl std::fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformClient")
            .field("url", &self.settings.url)
            .finish_non_exhaustive()
    }
}

type CallResult = Result<(Vec<Record>, Option<ProcessingStatus>), String>;

impl PlatformClient {
    /// A client presenting the function certificate.
    pub fn new(connector: openssl::ssl::SslConnector, settings: Arc<PlatformConfig>) -> Self {
        let client = awc::Client::builder()
            .connector(
                awc::Connector::new()
                    .openssl(connector)
                    .timeout(std::time::Duration::from_secs(5)),
            )
            .timeout(settings.timeout())
            .disable_redirects()
            .finish();
        PlatformClient { client, settings }
    }

    /// Fetches `wanted` types for `patient` in parallel, each with its window.
    pub async fn fetch(
        &self,
        patient: &PatientId,
        wanted: &[(InfoType, Window)],
        correlation_id: &str,
    ) -> Fetched {
        let calls: Vec<LocalBoxFuture<'_, (InfoType, CallResult)>> = wanted
            .iter()
            .map(|&(kind, window)| {
                let fut: LocalBoxFuture<'_, (InfoType, CallResult)> = Box::pin(async move {
                    (
                        kind,
                        self.fetch_one(kind, patient, window, correlation_id).await,
                    )
                });
                fut
            })
            .collect();
        let mut fetched = Fetched::default();
        for (kind, result) in futures_util::future::join_all(calls).await {
            match result {
                Ok((found, status)) => {
                    fetched.records.extend(found);
                    for record in status.map(|s| s.processing_status_list).unwrap_or_default() {
                        let failed = matches!(
                            record.status_code,
                            StatusCode::NoDataSynchFailed | StatusCode::DataFromCacheSynchFailed
                        );
                        if failed {
                            let cause = record
                                .last_unsuccessful_synch_error
                                .map(|e| format!("{} (kod {})", e.text, e.code))
                                .unwrap_or_else(|| "okänt fel".to_owned());
                            let cached =
                                if record.status_code == StatusCode::DataFromCacheSynchFailed {
                                    "; äldre uppgifter från cache visas"
                                } else {
                                    ""
                                };
                            fetched.failures.push(Failure {
                                kind,
                                source: Some(record.logical_address),
                                text: format!("källan svarade inte: {cause}{cached}"),
                            });
                        }
                    }
                }
                Err(text) => fetched.failures.push(Failure {
                    kind,
                    source: None,
                    text,
                }),
            }
        }
        fetched
    }

    async fn fetch_one(
        &self,
        kind: InfoType,
        patient: &PatientId,
        window: Window,
        correlation_id: &str,
    ) -> CallResult {
        let person = PersonIdType {
            id: patient.as_str().to_owned(),
            r#type: patient.oid().to_owned(),
        };
        let (from, to) = (Date::new(window.from), Date::new(window.to));
        let period = match (from, to) {
            (Some(start), Some(end)) => Some(DatePeriodType { start, end }),
            _ => None,
        };
        match kind {
            InfoType::Diagnoser => {
                let request = GetDiagnosis {
                    care_unit_hsa_id: Vec::new(),
                    patient_id: person,
                    time_period: period,
                    source_system_hsa_id: None,
                    care_contact_id: Vec::new(),
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                if response
                    .result
                    .as_ref()
                    .is_some_and(|r| r.result_code == ResultCode::Error)
                {
                    return Err(result_error());
                }
                Ok((records::from_diagnoses(response.diagnosis), status))
            }
            InfoType::Vardkontakter => {
                let request = GetCareContacts {
                    care_unit_hsa_id: Vec::new(),
                    care_giver_hsa_id: Vec::new(),
                    patient_id: person,
                    date_period: period,
                    source_system_hsa_id: None,
                    care_contact_id: Vec::new(),
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                if response.result.result_code == ResultCode::Error {
                    return Err(result_error());
                }
                Ok((records::from_care_contacts(response.care_contact), status))
            }
            InfoType::Lakemedel => {
                let request = GetMedicationHistory {
                    care_unit_hsa_id: Vec::new(),
                    care_giver_hsa_id: Vec::new(),
                    patient_id: person,
                    date_period: Some(ActDatePeriod {
                        start: from,
                        end: to,
                    }),
                    source_system_hsa_id: None,
                    care_contact_id: Vec::new(),
                    prescription_chain_id: None,
                    prescription_status: None,
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                if response.result.result_code == ResultCode::Error {
                    return Err(result_error());
                }
                Ok((
                    records::from_medication(response.medication_medical_record),
                    status,
                ))
            }
            InfoType::Vaccinationer => {
                let request = GetVaccinationHistory {
                    care_unit_hsa_id: Vec::new(),
                    patient_id: person,
                    time_period: Some(ActDatePeriod {
                        start: from,
                        end: to,
                    }),
                    source_system_hsa_id: None,
                    care_contact_id: Vec::new(),
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                if response.result.result_code == ResultCode::Error {
                    return Err(result_error());
                }
                Ok((
                    records::from_vaccinations(response.vaccination_medical_record),
                    status,
                ))
            }
            InfoType::Anteckningar => {
                let request = GetCareDocumentation {
                    care_unit: Vec::new(),
                    healthcare_provider: Vec::new(),
                    patient_id: patient_ii(patient),
                    date_period: period,
                    source_system_id: None,
                    has_more_reference: None,
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                if response.result.result_code == ResultCode::Error {
                    return Err(result_error());
                }
                Ok((records::from_notes(response.care_documentation), status))
            }
            InfoType::Observationer => {
                let agreement =
                    Uuid::parse(&self.settings.interaction_agreement_id).ok_or_else(|| {
                        "felaktig konfiguration (interaction_agreement_id)".to_owned()
                    })?;
                let request = GetObservations {
                    patient_id: BasicIi::new(patient.oid(), patient.as_str()),
                    time: Some(TimePeriodType {
                        start: from.map(Date::start_of_day),
                        end: to.map(Date::end_of_day),
                    }),
                    observation_type: Vec::new(),
                    observation_id: Vec::new(),
                    care_giver_id: None,
                    care_unit_id: None,
                    interaction_agreement_id: agreement,
                    source_system_hsa_id: None,
                    relation: Vec::new(),
                };
                let (response, status) = self.call(&request, correlation_id).await?;
                Ok((
                    records::from_observations(response.observation_group),
                    status,
                ))
            }
        }
    }

    async fn call<Op: Operation>(
        &self,
        request: &Op,
        correlation_id: &str,
    ) -> Result<(Op::Response, Option<ProcessingStatus>), String> {
        let body = soap::encode_request(&self.settings.logical_address, request);
        let url = format!(
            "{}/{}/{}/rivtabp21",
            self.settings.url.trim_end_matches('/'),
            Op::CONTRACT,
            Op::MAJOR
        );
        let sent = self
            .client
            .post(url)
            .insert_header(("content-type", "text/xml; charset=UTF-8"))
            .insert_header(("soapaction", format!("\"{}\"", Op::SOAP_ACTION)))
            .insert_header((
                ORIGINAL_CONSUMER_HEADER,
                self.settings.consumer_hsa_id.as_str(),
            ))
            .insert_header((CORRELATION_HEADER, correlation_id))
            .send_body(body)
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(contract = Op::CONTRACT, %correlation_id, %error, "platform call failed");
                return Err("tjänsteplattformen kunde inte nås".to_owned());
            }
        };
        let bytes = match response.body().limit(MAX_RESPONSE_BYTES).await {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(contract = Op::CONTRACT, %correlation_id, %error, "platform response unreadable");
                return Err("svaret från tjänsteplattformen kunde inte läsas".to_owned());
            }
        };
        match soap::decode_response::<Op>(&bytes) {
            Ok(envelope) => Ok((envelope.body, envelope.header.processing_status)),
            Err(SoapError::Fault(fault)) => {
                tracing::warn!(contract = Op::CONTRACT, %correlation_id, fault = %fault.string, "platform answered with a fault");
                Err(format!(
                    "tjänsteplattformen svarade med fel: {}",
                    fault.string
                ))
            }
            Err(error) => {
                tracing::warn!(contract = Op::CONTRACT, %correlation_id, %error, status = %response.status(), "platform response not understood");
                Err("svaret från tjänsteplattformen kunde inte tolkas".to_owned())
            }
        }
    }
}

fn result_error() -> String {
    "tjänsten svarade med felkod".to_owned()
}
