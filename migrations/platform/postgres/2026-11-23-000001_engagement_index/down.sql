DROP INDEX engagement_notifications_due;
DROP TABLE engagement_notifications;
DROP INDEX engagements_resident_domain;
DROP TABLE engagements;
