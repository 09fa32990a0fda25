DROP TABLE care_documentation;
