DROP TABLE engagement_outbox;
