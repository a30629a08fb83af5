// Prometheus metrics of the gateway, read from the live counters at scrape time.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BrokerStats } from '../mqtt/broker.js';
import type { IngestStats } from '../../app/ingest.js';

export interface MetricSources {
  readonly ingest: IngestStats;
  readonly broker: BrokerStats & { readonly connectedClients: number };
  /** Extra gauges from other parts (spools, outboxes): name -> [help, read]. */
  readonly gauges?: Record<string, readonly [string, () => number]>;
}

export function createMetricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pg_gateway_process_' });
  const { ingest, broker } = sources;
  // Counters mirror monotonic totals kept by the pipeline and broker, read at scrape time.
  const mirror = (counter: Counter, value: number) => {
    counter.reset();
    counter.inc(value);
  };
  new Counter({
    name: 'pg_readings_accepted_total',
    help: 'Readings verified and committed to the evidence log.',
    registers: [registry],
    collect() {
      mirror(this, ingest.accepted);
    },
  });
  new Counter({
    name: 'pg_readings_duplicate_total',
    help: 'Redeliveries of already accepted readings (counted once, acknowledged again).',
    registers: [registry],
    collect() {
      mirror(this, ingest.duplicates);
    },
  });
  new Counter({
    name: 'pg_readings_gap_total',
    help: 'Accepted readings that follow missing sequence numbers or boots (evidence gaps).',
    registers: [registry],
    collect() {
      mirror(this, ingest.gaps);
    },
  });
  new Counter({
    name: 'pg_readings_rejected_total',
    help: 'Readings quarantined, by error code (docs/errors.md).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, count] of Object.entries(ingest.quarantined))
        this.inc({ code }, count ?? 0);
    },
  });
  new Gauge({
    name: 'pg_ingest_in_flight',
    help: 'Messages in the pipeline: verifying, judged, or waiting for the evidence commit.',
    registers: [registry],
    collect() {
      this.set(ingest.inFlight);
    },
  });
  new Counter({
    name: 'pg_evidence_commits_total',
    help: 'Group commits of the evidence log.',
    registers: [registry],
    collect() {
      mirror(this, ingest.commits);
    },
  });
  new Gauge({
    name: 'pg_device_last_seen_timestamp_seconds',
    help: 'When each device last had a reading accepted [s since epoch].',
    labelNames: ['device'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [device, atMs] of ingest.lastSeenMs) this.set({ device }, atMs / 1_000);
    },
  });
  new Counter({
    name: 'pg_mqtt_connects_total',
    help: 'Successful MQTT logins (first connects and reconnects).',
    registers: [registry],
    collect() {
      mirror(this, broker.connects);
    },
  });
  new Counter({
    name: 'pg_mqtt_login_failures_total',
    help: 'Refused MQTT logins (unknown or revoked device, wrong password).',
    registers: [registry],
    collect() {
      mirror(this, broker.authFailures);
    },
  });
  new Counter({
    name: 'pg_mqtt_acl_denied_total',
    help: 'Publishes or subscriptions refused by the topic ACL.',
    registers: [registry],
    collect() {
      mirror(this, broker.aclDenied);
    },
  });
  new Gauge({
    name: 'pg_mqtt_connected_clients',
    help: 'Clients connected to the embedded broker.',
    registers: [registry],
    collect() {
      this.set(broker.connectedClients);
    },
  });
  for (const [name, [help, read]] of Object.entries(sources.gauges ?? {})) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  }
  return registry;
}
