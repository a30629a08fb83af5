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
    epoch          INTEGER,                     -- unused since migration 5: epochs are id ranges
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
  // 2: custody and chain (docs/custody.md): attestations and the outbox, their evidence sets,
  // the chain listener's cursor and recent block hashes, followed chain events, release orders,
  // alerts, and the HTTP API's tokens (stored hashed).
  `
  CREATE TABLE attestations (
    id               INTEGER PRIMARY KEY,
    warehouse_id     TEXT NOT NULL,             -- the gateway's warehouse id (text)
    bay_id           TEXT NOT NULL,
    lot_id           TEXT NOT NULL,
    lot_key          TEXT NOT NULL,             -- 0x keccak256(abi.encode(uint64, bytes32, bytes32))
    sequence         INTEGER NOT NULL,          -- strictly increasing per lot (observedAt [ms])
    quantity_grams   TEXT NOT NULL,             -- [g], decimal string
    flags            INTEGER NOT NULL,          -- CustodyFlag bitset
    readings_root    TEXT NOT NULL,             -- 0x RFC 6962 root of the evidence set
    observed_at_s    INTEGER NOT NULL,          -- [unix s]
    valid_until_s    INTEGER NOT NULL,          -- [unix s]
    release_order_id TEXT NOT NULL DEFAULT '0', -- decimal string; 0 when none
    proposer         TEXT NOT NULL,             -- gateway id that proposed it ('self' or a peer's)
    own_signature    TEXT,                      -- 0x 65-byte r||s||v by this gateway's key
    signatures       TEXT NOT NULL DEFAULT '[]',-- JSON [{ signer, signature }], collected so far
    status           TEXT NOT NULL,             -- pending | submitted | confirmed | superseded | refused | cosigned
    tx_hash          TEXT,
    nonce            INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    block_number     INTEGER,
    created_at_ms    INTEGER NOT NULL,          -- [ms since epoch], gateway clock
    updated_at_ms    INTEGER NOT NULL,
    UNIQUE (lot_key, sequence)
  ) STRICT;
  CREATE INDEX attestations_status ON attestations (status, id);
  CREATE INDEX attestations_lot ON attestations (lot_id, sequence);

  CREATE TABLE attestation_evidence (
    attestation_id INTEGER NOT NULL REFERENCES attestations (id),
    position       INTEGER NOT NULL,            -- leaf index in the evidence tree
    reading_id     INTEGER NOT NULL REFERENCES readings (id),
    PRIMARY KEY (attestation_id, position)
  ) STRICT;
  CREATE INDEX attestation_evidence_reading ON attestation_evidence (reading_id);

  -- Chain listener: last processed block per listener, and recent block hashes to detect reorgs.
  CREATE TABLE chain_cursor (
    name         TEXT PRIMARY KEY,
    block_number INTEGER NOT NULL,
    block_hash   TEXT NOT NULL
  ) STRICT;
  CREATE TABLE chain_blocks (
    block_number INTEGER PRIMARY KEY,
    block_hash   TEXT NOT NULL
  ) STRICT;
  CREATE TABLE chain_events (
    id           INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    block_hash   TEXT NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    contract     TEXT NOT NULL,                 -- CustodyOracle | InventoryLoan | WarehouseReceipt | PriceFeed
    name         TEXT NOT NULL,                 -- event name
    args         TEXT NOT NULL,                 -- JSON, bigints as decimal strings
    block_time_s INTEGER NOT NULL,              -- [unix s]
    removed      INTEGER NOT NULL DEFAULT 0,    -- 1 after a reorg dropped it
    UNIQUE (block_hash, log_index)
  ) STRICT;
  CREATE INDEX chain_events_name ON chain_events (name, block_number);

  CREATE TABLE release_orders (
    order_id      TEXT PRIMARY KEY,             -- decimal string
    loan_id       TEXT NOT NULL,
    lot_key       TEXT,
    grams         TEXT NOT NULL,                -- [g], decimal string
    status        TEXT NOT NULL,                -- ordered | shipped | finalized | cancelled
    updated_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,             -- [ms since epoch], warehouse clock
    lot_id        TEXT,
    device_id     TEXT,
    kind          TEXT NOT NULL,                -- e.g. flag-raised, over-receipted, cosign-disagreement
    detail        TEXT NOT NULL,
    cleared_at_ms INTEGER
  ) STRICT;
  CREATE INDEX alerts_lot ON alerts (lot_id, id);

  CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,                -- bank-viewer | operator-admin | auditor | gateway-peer
    token_hash    TEXT NOT NULL UNIQUE,         -- hex SHA-256 of the token (tokens are 256-bit random)
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
  ) STRICT;
  `,
  // 3: device key history (adapters/sqlite/registry-admin.ts): every key a device has had, so
  // readings signed before a rotation stay verifiable with the key that signed them.
  `
  CREATE TABLE device_keys (
    device_id      TEXT NOT NULL,
    key_version    INTEGER NOT NULL,
    alg            TEXT NOT NULL,
    public_key     BLOB NOT NULL,
    retired_at_ms  INTEGER NOT NULL,            -- [ms since epoch]; when a rotation replaced it
    PRIMARY KEY (device_id, key_version)
  ) STRICT;
  `,
  // 4: the HTTP API's lot series (adapters/http/sqlite-data.ts): a covering index so a time
  // range of one device's readings of one kind is a range scan (1,000,000 readings in ~0.5 s).
  `
  CREATE INDEX readings_device_kind_time ON readings (device_id, kind, device_time_ms, value);
  `,
  // 5: Merkle epochs are id ranges: epoch N holds the readings with ids in
  // (last_reading_id of epoch N-1, last_reading_id of epoch N]. Sealing no longer rewrites every
  // row of the epoch, and an insert no longer updates two indexes that only sealing read.
  // readings.epoch stays (dropping a column rewrites the table) and is no longer written; rows
  // sealed before this migration hold the epoch their id range names.
  `
  DROP INDEX readings_unsealed;
  DROP INDEX readings_epoch;
  CREATE INDEX epochs_last_reading ON epochs (last_reading_id);
  `,
];
