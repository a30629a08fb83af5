// `npm start` (and `pledgeguard dev`): the whole system on embedded defaults, see scripts/dev/system.ts.
//   npm start                    start, or continue the demo kept in .pledgeguard/
//   npm start -- --reset         wipe .pledgeguard/ and start a new demo
//   npm start -- --help
// Ctrl-C stops every part cleanly (the chain is saved for the next start).
import { parseArgs } from 'node:util';
import { startDevSystem } from './dev/system.js';

const HELP = `Usage: npm start -- [options]

Runs the whole PledgeGuard system on this machine: anvil with the contracts, the gateway
(embedded MQTT broker, evidence log, custody engine, chain feeder, API and dashboard), the
simulated OPC UA PLC and simulated warehouse devices playing a demo: two copper loans, a
12% price drop at 2 min, a theft with replayed weights at 4-5 min.

Options:
  --reset              wipe the data directory first (a new chain, new keys, a new story)
  --data-dir <dir>     where everything is kept (default: .pledgeguard in the repository)
  --http-port <port>   dashboard and API (default 8080; env PG_DEV_HTTP_PORT)
  --mqtt-port <port>   embedded MQTT broker (default 1883; env PG_DEV_MQTT_PORT)
  --opcua-port <port>  simulated OPC UA PLC, 0 for none (default 4840; env PG_DEV_OPCUA_PORT)
  -h, --help           this text
`;

function port(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`${name}: expected a port number 0-65535, got "${text}"`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        reset: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'opcua-port': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = process.env;
  const started = Date.now();
  const system = await startDevSystem({
    reset: values.reset,
    ...(values['data-dir'] !== undefined && { dataDir: values['data-dir'] }),
    httpPort: port(values['http-port'] ?? env.PG_DEV_HTTP_PORT, 8080, '--http-port'),
    mqttPort: port(values['mqtt-port'] ?? env.PG_DEV_MQTT_PORT, 1883, '--mqtt-port'),
    opcuaPort: port(values['opcua-port'] ?? env.PG_DEV_OPCUA_PORT, 4840, '--opcua-port'),
    say: (line) => console.log(`[pledgeguard] ${line}`),
  });

  console.log(`
PledgeGuard is running (started in ${((Date.now() - started) / 1_000).toFixed(1)} s).

  Dashboard   ${system.dashboardUrl}
  API docs    ${system.dashboardUrl}docs
  Chain RPC   ${system.anvil.rpcUrl}

  Demo tokens (paste one into the dashboard):
${Object.entries(system.tokens)
  .map(([name, { role, token }]) => `    ${role.padEnd(15)} ${token}   (${name})`)
  .join('\n')}

  Press Ctrl-C to stop; npm start again continues this demo, npm start -- --reset begins anew.
`);
  void system.firstAttestation.then((txHash) =>
    console.log(`[pledgeguard] first attestation of this run confirmed on chain: ${txHash}`),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[pledgeguard] ${signal}: stopping every part`);
    const force = setTimeout(() => {
      console.error('[pledgeguard] stop took over 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    void system.stop().then(() => {
      console.log('[pledgeguard] stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`[pledgeguard] could not start: ${error.message}`);
  process.exit(1);
});
