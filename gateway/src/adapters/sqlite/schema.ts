// Evidence-log schema, as ordered migrations (PRAGMA user_version counts the ones applied).
// Never edit a shipped migration: append a new one.

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    device_id          TEXT PRIMARY KEY,
    warehouse_id       TEXT NOT NULL,
    alg                TEXT NOT NULL,
    public_key         BLOB NOT NULL,
    key_version        INTEGER NOT NULL,
    kinds              TEXT NOT NULL,           -- JSON array of reading kinds
    bay_id             TEXT NOT NULL,
    lot_id             TEXT,
    heartbeat_ms       INTEGER NOT NULL,        -- [ms]
    mqtt_password_hash TEXT NOT NULL,
    revoked_at_ms      INTEGER,                 -- [ms since epoch]; NULL while active
    revoke_reason      TEXT,
    updated_at_ms      INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE lots (
    lot_id            TEXT PRIMARY KEY,
    bay_id            TEXT NOT NULL,
    commodity         TEXT NOT NULL,
    unit_weight_grams TEXT NOT NULL             -- [g], decimal string
  ) STRICT;

  -- Replay high-water mark per device: the highest authentic (boot, seq) seen.
  CREATE TABLE marks (
    device_id      TEXT PRIMARY KEY,
    boot           INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    device_time_ms INTEGER                      -- step-back reference; NULL until a clock passed
  ) STRICT;

  -- Accepted readings: the raw signed envelope is the evidence; the other columns index it.
  CREATE TABLE readings (
    id             INTEGER PRIMARY KEY,
    device_id      TEXT NOT NULL,
    boot           INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    device_time_ms INTEGER NOT NULL,            -- [ms since epoch], device clock
    kind           TEXT NOT NULL,
    value          INTEGER NOT NULL,            -- in the kind's unit (PROTOCOL.md section 3)
    bay_id         TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,            -- [ms since epoch], gateway clock
    source         TEXT NOT NULL,               -- mqtt | opcua | replay
    gap            INTEGER NOT NULL,            -- 1 when evidence is missing before this reading
    envelope       BLOB NOT NULL,
    leaf_hash      BLOB NOT NULL,               -- RFC 6962 leaf hash of the envelope
    epoch          INTEGER,                     -- Merkle epoch, NULL until sealed
    UNIQUE (device_id, boot, seq)
  ) STRICT;
  CREATE INDEX readings_unsealed ON readings (epoch) WHERE epoch IS NULL;
  CREATE INDEX readings_epoch ON readings (epoch, id);

  -- Everything refused, with its code; kept whole so it can be replayed after a key fix.
  CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY,
    received_at_ms INTEGER NOT NULL,
    code           TEXT NOT NULL,
    detail         TEXT NOT NULL,
    topic          TEXT NOT NULL,
    device_id      TEXT,
    boot           INTEGER,
    seq            INTEGER,
    envelope       BLOB NOT NULL,
    source         TEXT NOT NULL,
    authentic      INTEGER NOT NULL,            -- 1 when the device signature verified
    resolved_at_ms INTEGER,
    resolution     TEXT
  ) STRICT;
  CREATE INDEX quarantine_code ON quarantine (code, id);
  CREATE INDEX quarantine_device ON quarantine (device_id, id);
  CREATE INDEX quarantine_identity ON quarantine (device_id, boot, seq) WHERE authentic = 1;

  CREATE TABLE epochs (
    epoch            INTEGER PRIMARY KEY,
    first_reading_id INTEGER NOT NULL,
    last_reading_id  INTEGER NOT NULL,
    leaf_count       INTEGER NOT NULL,
    root             BLOB NOT NULL,             -- RFC 6962 Merkle tree hash
    closed_at_ms     INTEGER NOT NULL
  ) STRICT;
  `,
  // 1: time-series spool (adapters/sqlite/spool.ts): points waiting for the InfluxDB sink, in
  // forwarding order. Filled in the evidence commit's transaction; emptied as Influx acknowledges.
  `
  CREATE TABLE series_spool (
    id             INTEGER PRIMARY KEY,         -- forwarding order
    measurement    TEXT NOT NULL,
    tags           TEXT NOT NULL,               -- JSON object: tag -> value
    fields         TEXT NOT NULL,               -- JSON object: field -> integer, decimal string
    time_ns        INTEGER NOT NULL,            -- [ns since Unix epoch]
    enqueued_at_ms INTEGER NOT NULL             -- [ms since Unix epoch], gateway clock
  ) STRICT;
  `,
];
