DROP TABLE vaccinations;
