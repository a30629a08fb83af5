// The one catalogue of PledgeGuard error codes. Expected failures from the outside world (a forged
// reading, a malformed payload) are returned as values carrying one of these codes; docs/errors.md
// is generated from this table (`npm run docs:errors`) and a test keeps the two in step.

export interface CodeInfo {
  /** Which stage reports it. */
  readonly stage:
    'decode' | 'verify' | 'registry' | 'ingest' | 'api' | 'cosign' | 'audit' | 'chain';
  /** What happened, in one sentence. */
  readonly meaning: string;
  /** What the operator or firmware author should do about it. */
  readonly fix: string;
}

export const CODES = {
  PG_ENVELOPE_TOO_LARGE: {
    stage: 'decode',
    meaning: 'The envelope is larger than the protocol limit (MAX_ENVELOPE_BYTES).',
    fix: 'Send one reading per envelope; check the firmware is not appending data.',
  },
  PG_CBOR_MALFORMED: {
    stage: 'decode',
    meaning: 'The bytes are not one well-formed CBOR item (truncated, trailing bytes, bad header).',
    fix: 'Check the transport delivers whole messages and the encoder emits a single item.',
  },
  PG_CBOR_NON_CANONICAL: {
    stage: 'decode',
    meaning:
      'CBOR is not in deterministic form (RFC 8949 section 4.2.1): a longer-than-needed integer or length, or map keys out of order.',
    fix: 'Encode with deterministic encoding: shortest integers, map keys sorted.',
  },
  PG_CBOR_INDEFINITE_LENGTH: {
    stage: 'decode',
    meaning:
      'An indefinite-length array, map or string was used; only definite lengths are allowed.',
    fix: 'Encode every item with a definite length.',
  },
  PG_CBOR_DUPLICATE_KEY: {
    stage: 'decode',
    meaning: 'A CBOR map holds the same key twice.',
    fix: 'Emit each header or payload field once.',
  },
  PG_CBOR_UNSUPPORTED_TYPE: {
    stage: 'decode',
    meaning:
      'A CBOR item of a type the protocol forbids: a float, undefined, a simple value or an unexpected tag.',
    fix: 'Use integers, byte strings and text strings only; values are integers in the unit of their kind.',
  },
  PG_COSE_NOT_SIGN1: {
    stage: 'decode',
    meaning: 'The item is not a tagged COSE_Sign1 (tag 18 around a four-element array).',
    fix: 'Wrap the reading in a COSE_Sign1 structure with tag 18 (RFC 9052 section 4.2).',
  },
  PG_COSE_STRUCTURE: {
    stage: 'decode',
    meaning:
      'A COSE_Sign1 element has the wrong type (protected and payload must be byte strings, unprotected a map).',
    fix: 'Follow RFC 9052 section 4.2: [protected bstr, unprotected map, payload bstr, signature bstr].',
  },
  PG_COSE_HEADER_MISSING: {
    stage: 'decode',
    meaning: 'The protected header lacks alg (1) or kid (4).',
    fix: 'Put both alg and kid in the protected header so they are signed.',
  },
  PG_COSE_HEADER_INVALID: {
    stage: 'decode',
    meaning:
      'A header parameter has the wrong type or an invalid value (alg must be an integer, kid a byte string).',
    fix: 'Encode alg as an integer and kid as the UTF-8 bytes of the device id.',
  },
  PG_COSE_HEADER_UNKNOWN: {
    stage: 'decode',
    meaning:
      'A header parameter other than alg and kid is present, or the unprotected header is not empty.',
    fix: 'Send only alg and kid, both in the protected header; leave the unprotected header empty.',
  },
  PG_COSE_CRIT_UNSUPPORTED: {
    stage: 'decode',
    meaning: 'The crit (2) header parameter is present: no critical extension is understood.',
    fix: 'Remove crit; the protocol defines no extensions.',
  },
  PG_COSE_ALG_UNSUPPORTED: {
    stage: 'decode',
    meaning: 'The alg is not one of EdDSA (-8), ES256 (-7) or ES256K (-47).',
    fix: 'Sign with Ed25519, P-256 or secp256k1.',
  },
  PG_COSE_PAYLOAD_DETACHED: {
    stage: 'decode',
    meaning: 'The payload is nil (detached content); readings must carry their payload.',
    fix: 'Embed the payload in the envelope.',
  },
  PG_PAYLOAD_STRUCTURE: {
    stage: 'decode',
    meaning: 'The payload is not a CBOR map with integer keys.',
    fix: 'Encode the reading as the map defined in PROTOCOL.md section 3.',
  },
  PG_PAYLOAD_FIELD_MISSING: {
    stage: 'decode',
    meaning: 'A required payload field is missing.',
    fix: 'Send every required field (PROTOCOL.md section 3).',
  },
  PG_PAYLOAD_FIELD_UNKNOWN: {
    stage: 'decode',
    meaning:
      'The payload has a field the protocol does not define, or one not allowed for this kind.',
    fix: 'Send only the fields defined for the reading kind.',
  },
  PG_PAYLOAD_FIELD_TYPE: {
    stage: 'decode',
    meaning: 'A payload field has the wrong CBOR type.',
    fix: 'Check the field table in PROTOCOL.md section 3.',
  },
  PG_PAYLOAD_FIELD_RANGE: {
    stage: 'decode',
    meaning: 'A payload field is outside its allowed range or character set.',
    fix: 'Check the ranges in PROTOCOL.md section 3; calibrate or replace a device that reports impossible values.',
  },
  PG_PAYLOAD_KID_MISMATCH: {
    stage: 'decode',
    meaning: 'The kid header does not name the device id inside the payload.',
    fix: 'Set kid to the UTF-8 bytes of the payload device id.',
  },
  PG_SIG_MALFORMED: {
    stage: 'verify',
    meaning: 'The signature has the wrong length for its algorithm.',
    fix: 'Send Ed25519 signatures as 64 bytes and ECDSA as raw r||s (64 bytes), not DER.',
  },
  PG_SIG_NON_CANONICAL: {
    stage: 'verify',
    meaning:
      'An ECDSA signature has a high S value (s > n/2); the protocol requires low-S so envelopes are not malleable.',
    fix: 'Normalise s to n - s when it is above n/2 before sending.',
  },
  PG_SIG_INVALID: {
    stage: 'verify',
    meaning:
      'The signature does not verify under the registered key of the device: forged, tampered, or signed with another key.',
    fix: 'Treat as a security event; if the device was re-keyed, rotate its key in the registry.',
  },
  PG_ALG_MISMATCH: {
    stage: 'verify',
    meaning: 'The envelope alg differs from the algorithm registered for the device.',
    fix: 'Re-provision the device or fix its firmware configuration.',
  },
  PG_TOPIC_MISMATCH: {
    stage: 'ingest',
    meaning:
      "The reading was published under another device's topic, or its warehouse differs from the gateway's.",
    fix: 'Publish under pg/v1/{warehouse}/{own device id}/reading; check the broker ACL in client mode.',
  },
  PG_DEVICE_MISMATCH: {
    stage: 'ingest',
    meaning: 'The reading names a bay or a kind that is not registered for the device.',
    fix: 'Re-provision the device if it was moved or re-purposed; otherwise treat as tampering.',
  },
  PG_REPLAYED: {
    stage: 'ingest',
    meaning:
      "The reading identity (boot, seq) is at or below the device's high-water mark and was never accepted, or is a byte-identical copy of an accepted reading older than the redelivery window (ingest.redeliveryWindowMs) behind the device's latest: an old reading sent again.",
    fix: 'Treat as a replay attack or a device whose boot counter was reset; investigate the device.',
  },
  PG_EQUIVOCATION: {
    stage: 'ingest',
    meaning:
      'The device signed two different readings with the same identity (boot, seq): its key or firmware is compromised.',
    fix: 'Security alarm: revoke the device key, inspect the device, recount the lot.',
  },
  PG_CLOCK_SKEW: {
    stage: 'ingest',
    meaning: 'The device time is outside the accepted window around the gateway clock.',
    fix: 'Fix the device clock (NTP); a clock set on purpose can hide when goods moved.',
  },
  PG_IMPLAUSIBLE_RANGE: {
    stage: 'ingest',
    meaning: 'The value is outside the physical range configured for this kind of sensor.',
    fix: 'Check the sensor and its calibration; adjust the plausibility range only if the site really differs.',
  },
  PG_IMPLAUSIBLE_RATE: {
    stage: 'ingest',
    meaning: 'The value changed faster than physically possible for this kind of sensor.',
    fix: 'Check for a faulty or manipulated sensor (junction-box events, cable tampering).',
  },
  PG_IMPLAUSIBLE_FLAT: {
    stage: 'ingest',
    meaning:
      'A noisy sensor reported a perfectly flat or exactly repeating trace: real load cells and thermometers are never that quiet.',
    fix: 'Suspect a replayed or simulated signal in the sensor cable; inspect the device.',
  },
  PG_DEVICE_UNKNOWN: {
    stage: 'registry',
    meaning: 'No device with this kid is registered.',
    fix: 'Import the device manifest (provisioning) before the device publishes.',
  },
  PG_DEVICE_REVOKED: {
    stage: 'registry',
    meaning: 'The device key has been revoked.',
    fix: 'Rotate the device to a new key, or remove the device.',
  },
  PG_MANIFEST_INVALID: {
    stage: 'registry',
    meaning:
      'A device manifest does not match the manifest schema; the detail names the first bad field.',
    fix: 'Regenerate the manifest with the provisioning tool or correct the named field.',
  },
  PG_KEY_INVALID: {
    stage: 'registry',
    meaning: 'A public key is not a valid point for its algorithm.',
    fix: 'Check the manifest: Ed25519 keys are 32 bytes, P-256 and secp256k1 keys SEC1 (33 or 65 bytes).',
  },
  PG_API_UNAUTHENTICATED: {
    stage: 'api',
    meaning:
      'The HTTP API request carries no valid token (missing, malformed, unknown or revoked Authorization: Bearer).',
    fix: 'Send `Authorization: Bearer <token>` with a token issued by `pledgeguard-gateway tokens create`.',
  },
  PG_API_FORBIDDEN: {
    stage: 'api',
    meaning:
      "The token is valid but its role may not use this route (docs/api.md lists each route's roles).",
    fix: 'Use a token with a sufficient role (operator-admin for writes, auditor for evidence).',
  },
  PG_API_NOT_FOUND: {
    stage: 'api',
    meaning:
      'The route or the resource it names (loan, lot, attestation, reading, device, ...) does not exist.',
    fix: 'Check the id and the path against docs/api.md.',
  },
  PG_API_BAD_REQUEST: {
    stage: 'api',
    meaning:
      'The request does not match the route schema (parameter, query or body); the message names the field.',
    fix: 'Correct the named field; the OpenAPI description at /docs lists every schema.',
  },
  PG_API_RATE_LIMITED: {
    stage: 'api',
    meaning:
      'Too many requests from this token (or failed authentications from this address) in the window.',
    fix: 'Wait for the retry-after header, or raise api.rateLimit for this deployment.',
  },
  PG_API_CONFLICT: {
    stage: 'api',
    meaning:
      'The request conflicts with the current state (e.g. revoking an already revoked device, replaying a resolved quarantine row).',
    fix: 'Reload the resource and retry only if the action still applies.',
  },
  PG_API_UNAVAILABLE: {
    stage: 'api',
    meaning:
      'The feature the route needs is not configured on this gateway (e.g. no OPC UA PKI, no ingest for replay, no co-signing).',
    fix: 'Configure the feature in the gateway config, or call a gateway that has it.',
  },
  PG_API_INTERNAL: {
    stage: 'api',
    meaning: 'The API failed unexpectedly; the gateway log holds the cause.',
    fix: 'Report it with the gateway log around the time of the request.',
  },
  PG_COSIGN_MALFORMED: {
    stage: 'cosign',
    meaning:
      'A co-signing proposal does not match the proposal schema (a field is missing or malformed).',
    fix: 'Run the same PledgeGuard version on every gateway of the warehouse.',
  },
  PG_COSIGN_DOMAIN: {
    stage: 'cosign',
    meaning:
      'A proposal names another chain, oracle or warehouse than this gateway is configured for.',
    fix: 'Give every gateway of a warehouse the same chain section (chain id, CustodyOracle address, warehouse number).',
  },
  PG_COSIGN_UNKNOWN_PEER: {
    stage: 'cosign',
    meaning:
      "The proposer's signature does not verify, or its signer is not a configured peer gateway.",
    fix: "Add the peer's gateway address to cosign.peers, or investigate who is sending proposals.",
  },
  PG_COSIGN_UNKNOWN_LOT: {
    stage: 'cosign',
    meaning: 'The proposal attests a lot this gateway does not watch.',
    fix: 'Import the same device manifest (lots and devices) on every gateway of the warehouse.',
  },
  PG_COSIGN_STALE: {
    stage: 'cosign',
    meaning:
      "The proposal is not newer than what this gateway already signed for the lot, or its observation time is too far from this gateway's clock.",
    fix: "Check the gateways' clocks (pledgeguard doctor); a late proposal is superseded by the next one.",
  },
  PG_COSIGN_SUPERSEDED: {
    stage: 'cosign',
    meaning:
      'This gateway already signed an attestation of the lot at the same or a later sequence: two gateways proposed at once, and the other proposal covers this one.',
    fix: 'Nothing to fix when it is occasional; set cosign.propose false on gateways that should only co-sign.',
  },
  PG_COSIGN_EVIDENCE_MISSING: {
    stage: 'cosign',
    meaning:
      'This gateway does not hold every reading the proposal rests on, even after waiting for late ones.',
    fix: 'Check that both gateways receive the same devices (broker subscriptions, ACLs); the next proposal is retried.',
  },
  PG_COSIGN_EVIDENCE_MISMATCH: {
    stage: 'cosign',
    meaning:
      'A reading in the proposal has other bytes than the reading of the same identity held here: equivocation by a device or a gateway.',
    fix: 'Treat as a security incident: compare both evidence logs for that reading (pledgeguard verify).',
  },
  PG_COSIGN_ROOT_MISMATCH: {
    stage: 'cosign',
    meaning:
      "The readings root rebuilt from this gateway's evidence differs from the proposed root.",
    fix: 'Treat as a security incident: the proposer claims a root its evidence does not give.',
  },
  PG_COSIGN_QUANTITY_MISMATCH: {
    stage: 'cosign',
    meaning:
      "The proposed quantity differs from this gateway's own estimate beyond the co-signing tolerance.",
    fix: "Compare both gateways' lot pages; a persistent gap means one gateway is faulty or lying.",
  },
  PG_COSIGN_FLAGS_MISMATCH: {
    stage: 'cosign',
    meaning: "The proposed custody flags differ from this gateway's own flags for the lot.",
    fix: "Compare both gateways' alerts for the lot; a persistent difference means one gateway is faulty or lying.",
  },
  PG_AUDIT_KEY_MISMATCH: {
    stage: 'audit',
    meaning:
      "The device key the gateway served for a reading differs from the key in the verifier's own copy of the device manifest.",
    fix: 'Ask the warehouse operator for the key history (`pledgeguard devices rotate` keeps it); an unexplained key is a security incident.',
  },
  PG_AUDIT_READING_MISMATCH: {
    stage: 'audit',
    meaning:
      'The envelope the gateway served is not the reading asked for (another device or identity), or its leaf hash differs from the served leaf.',
    fix: 'Treat as a security incident: the gateway serves evidence that does not match its own index.',
  },
  PG_AUDIT_PROOF_INVALID: {
    stage: 'audit',
    meaning:
      "The Merkle inclusion proof does not lead from the reading's leaf hash to the root recorded on chain.",
    fix: 'The reading is not part of the attested evidence set: do not rely on the status for this reading; report it to the operator.',
  },
  PG_AUDIT_NO_ATTESTATION: {
    stage: 'audit',
    meaning:
      'The transaction named as the attestation holds no CustodyAttested event of the expected CustodyOracle for this lot and sequence.',
    fix: 'Check the oracle address (--oracle) and the RPC endpoint; a gateway naming a transaction that is not its attestation is a security incident.',
  },
  PG_AUDIT_ROOT_MISMATCH: {
    stage: 'audit',
    meaning:
      'The readings root the gateway reports differs from the root in the CustodyAttested event on chain.',
    fix: 'Trust the chain: the gateway misreports its attestation. Report it to the operator.',
  },
  PG_CHAIN_UNAVAILABLE: {
    stage: 'chain',
    meaning:
      'The chain node did not answer (connection refused or reset, timeout, server error); the gateway retries with backoff and nothing queued is lost.',
    fix: 'Check chain.rpcUrl and the node; queued attestations land in order once it answers again.',
  },
  PG_CHAIN_REVERTED: {
    stage: 'chain',
    meaning:
      'A contract call or transaction reverted; the detail names the decoded custom error (e.g. CustodyAttestationExpired).',
    fix: 'Read the named error in contracts/README.md; an attestation refused for good is marked refused in the outbox with this reason.',
  },
  PG_CHAIN_NONCE: {
    stage: 'chain',
    meaning:
      "The node refused a transaction's nonce or its replacement fee (nonce too low, replacement underpriced).",
    fix: "Make sure no other process sends from the gateway's chain account; the submitter reconciles with the chain by itself.",
  },
  PG_CHAIN_REJECTED: {
    stage: 'chain',
    meaning: 'The node refused a request for another reason (e.g. insufficient funds for gas).',
    fix: "Fund the gateway's chain account and check the node's logs for the named reason.",
  },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

/** A failure from outside input: a value, never a throw. */
export interface Failure {
  readonly ok: false;
  readonly code: Code;
  /** Human-readable detail for logs and the operator; never parsed. */
  readonly detail: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | Failure;

export function fail(code: Code, detail: string): Failure {
  return { ok: false, code, detail };
}

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function isCode(value: unknown): value is Code {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}
