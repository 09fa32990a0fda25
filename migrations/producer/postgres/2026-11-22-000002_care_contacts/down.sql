DROP TABLE care_contacts;
