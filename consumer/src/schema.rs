//! Diesel table definitions (the same on both backends).

diesel::table! {
    staff (hsa_id) {
        hsa_id -> Text,
        username -> Text,
        name -> Text,
        role -> Text,
        active -> Bool,
        synced_at -> BigInt,
    }
}

diesel::table! {
    care_relations (id) {
        id -> Text,
        patient_id -> Text,
        user_hsa_id -> Text,
        care_giver -> Text,
        care_unit -> Text,
        reason -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        patient_id -> Text,
        given_by -> Text,
        guardian_name -> Nullable<Text>,
        scope -> Text,
        scope_hsa_id -> Text,
        care_giver -> Text,
        registered_by -> Text,
        valid_from -> BigInt,
        valid_to -> Nullable<BigInt>,
        withdrawn_at -> Nullable<BigInt>,
        withdrawn_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    emergency_accesses (id) {
        id -> Text,
        patient_id -> Text,
        user_hsa_id -> Text,
        care_unit -> Text,
        reason -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    blocks (id) {
        id -> Text,
        patient_id -> Text,
        kind -> Text,
        blocked_hsa_id -> Text,
        registered_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    access_log (id) {
        id -> Text,
        created_at -> BigInt,
        correlation_id -> Text,
        user_hsa_id -> Text,
        user_name -> Text,
        role -> Text,
        care_giver -> Text,
        care_unit -> Text,
        purpose -> Text,
        patient_id -> Text,
        page -> Text,
        care_givers_shown -> Text,
        info_types -> Text,
        time_window -> Text,
        emergency -> Bool,
    }
}
