DROP TABLE diagnoses;
