//! The information types the app shows, and the contract each is fetched with.

use npo_contracts::registry::Contract;
use serde::Deserialize;

/// An information type (one per clinical contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfoType {
    /// Diagnoses (GetDiagnosis 2).
    Diagnoser,
    /// Care contacts (GetCareContacts 3).
    Vardkontakter,
    /// Medication (GetMedicationHistory 2).
    Lakemedel,
    /// Vaccinations (GetVaccinationHistory 2).
    Vaccinationer,
    /// Care documentation, e.g. BVC notes (GetCareDocumentation 3).
    Anteckningar,
    /// Observations, e.g. growth (GetObservations 1).
    Observationer,
}

impl InfoType {
    /// Every type, in display order.
    pub const ALL: [InfoType; 6] = [
        InfoType::Diagnoser,
        InfoType::Vardkontakter,
        InfoType::Lakemedel,
        InfoType::Vaccinationer,
        InfoType::Anteckningar,
        InfoType::Observationer,
    ];

    /// Stable name (configuration, log, CSV).
    pub fn slug(self) -> &'static str {
        match self {
            InfoType::Diagnoser => "diagnoser",
            InfoType::Vardkontakter => "vardkontakter",
            InfoType::Lakemedel => "lakemedel",
            InfoType::Vaccinationer => "vaccinationer",
            InfoType::Anteckningar => "anteckningar",
            InfoType::Observationer => "observationer",
        }
    }

    /// Swedish display name.
    pub fn label(self) -> &'static str {
        match self {
            InfoType::Diagnoser => "Diagnoser",
            InfoType::Vardkontakter => "Vårdkontakter",
            InfoType::Lakemedel => "Läkemedel",
            InfoType::Vaccinationer => "Vaccinationer",
            InfoType::Anteckningar => "Journalanteckningar",
            InfoType::Observationer => "Observationer",
        }
    }

    /// The contract that carries this type.
    pub fn contract(self) -> Contract {
        match self {
            InfoType::Diagnoser => Contract::GetDiagnosis,
            InfoType::Vardkontakter => Contract::GetCareContacts,
            InfoType::Lakemedel => Contract::GetMedicationHistory,
            InfoType::Vaccinationer => Contract::GetVaccinationHistory,
            InfoType::Anteckningar => Contract::GetCareDocumentation,
            InfoType::Observationer => Contract::GetObservations,
        }
    }

    /// Types that make up the child-health (BVC) record: their window may reach back
    /// to birth.
    pub fn is_bvc(self) -> bool {
        matches!(
            self,
            InfoType::Vaccinationer | InfoType::Anteckningar | InfoType::Observationer
        )
    }
}
