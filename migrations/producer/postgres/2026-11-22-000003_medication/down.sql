DROP TABLE medications;
