-- Outbox payloads and retained realtime frames are written once and read back whole, never queried
-- inside: as text they skip jsonb's parse on every insert and its re-serialisation on every read
-- (measurable at thousands of chat messages a second), and frames go out byte for byte as built.
alter table outbox alter column payload type text;
alter table realtime_events alter column payload type text;
