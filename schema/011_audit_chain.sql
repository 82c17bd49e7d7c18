-- 011: tamper evidence for the audit trail: every entry carries the hash of
-- the entry before it and its own (appliance/store/auditchain.c defines the
-- encoding; docs/auditors-guide.md says what it proves). Both are set in the
-- INSERT that writes the entry; entries older than this migration are hashed
-- in id order when it runs (state.c, in the same transaction).
ALTER TABLE audit ADD COLUMN prev_hash TEXT;   -- 64 lowercase hex; 64 '0's for the first entry
ALTER TABLE audit ADD COLUMN hash      TEXT;   -- SHA-256 of prev_hash and the entry's fields
