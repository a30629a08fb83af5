import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard, deploymentJson } from '@pledgeguard/contracts/deploy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startAedes,
  type AedesBroker,
} from '../../../firmware-sim/src/testing/brokers.js';
import { makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';

const fleet = makeFleet(1);
let anvil: AnvilHandle;
let aedes: AedesBroker;
let deploymentFile: string;
/** Private keys of a registered gateway (anvil account 5) and of an outsider (account 6). */
let gatewayKey: string;
let outsiderKey: string;
const sites: Site[] = [];

beforeAll(async () => {
  [anvil, aedes] = await Promise.all([startAnvil(), startAedes()]);
  const provider = connect(anvil.rpcUrl, anvil.chainId);
  gatewayKey = anvilAccount(provider, 5).privateKey;
  outsiderKey = anvilAccount(provider, 6).privateKey;
  const { deployment } = await deployPledgeGuard(anvilAccount(provider, 0), {
    gatewaySets: [{ warehouseId: 7n, gateways: [anvilAccount(provider, 5).address], threshold: 1 }],
  });
  provider.destroy();
  const site = writeSite(fleet.manifest);
  sites.push(site);
  deploymentFile = join(site.dir, 'deployment.json');
  writeFileSync(deploymentFile, deploymentJson(deployment));
}, 90_000);
afterAll(async () => {
  await Promise.all([anvil?.stop(), aedes?.close()]);
  for (const site of sites) rmSync(site.dir, { recursive: true, force: true });
});

describe('pledgeguard doctor', () => {
  it('passes against a live broker and chain with the contracts deployed and the gateway registered (exit 0)', async () => {
    const site = writeSite(fleet.manifest, {
      manifest: './manifest.json',
      mqtt: {
        embedded: { enabled: false },
        client: { url: `mqtt://127.0.0.1:${aedes.port}`, protocolVersion: 4 },
      },
      chain: {
        rpcUrl: anvil.rpcUrl,
        deployment: deploymentFile,
        warehouseNumber: 7,
        keyEnv: 'PG_TEST_GATEWAY_KEY',
      },
    });
    sites.push(site);
    const result = await runPledgeguard(['doctor', '--config', site.configFile], {
      env: { PG_TEST_GATEWAY_KEY: gatewayKey },
    });
    expect(result.stderr).toContain('doctor: no check failed');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok {4}mqtt client {7}connected to mqtt:\/\/127\.0\.0\.1/);
    expect(result.stdout).toMatch(/ok {4}chain .*chain id 31337/);
    expect(result.stdout).toMatch(/ok {4}contract custodyOracle/);
    expect(result.stdout).toMatch(/ok {4}contract priceFeed COPPER/);
    expect(result.stdout).toMatch(/ok {4}gateway key .*a gateway of warehouse 7/);
    expect(result.stdout).toMatch(/ok {4}clock/);
    expect(result.stdout).not.toContain('FAIL');

    const outsider = await runPledgeguard(['doctor', '--config', site.configFile], {
      env: { PG_TEST_GATEWAY_KEY: outsiderKey },
    });
    expect(outsider.code).toBe(1);
    expect(outsider.stdout).toMatch(/FAIL {2}gateway key .*is not a gateway of warehouse 7/);
    expect(outsider.stdout).toContain('fix: have the contracts admin add it');
  });

  it('fails against dead ports and says how to fix each (exit 1)', async () => {
    const [mqttPort, rpcPort, influxPort, opcuaPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const site = writeSite(fleet.manifest, {
      mqtt: {
        embedded: { enabled: false },
        client: { url: `mqtt://127.0.0.1:${mqttPort}`, protocolVersion: 4 },
      },
      influx: { host: '127.0.0.1', port: influxPort },
      opcua: { endpointUrl: `opc.tcp://127.0.0.1:${opcuaPort}/UA/PLC` },
    });
    sites.push(site);
    const result = await runPledgeguard([
      'doctor',
      '--config',
      site.configFile,
      '--rpc',
      `http://127.0.0.1:${rpcPort}`,
      '--deployment',
      deploymentFile,
      '--timeout-ms',
      '1500',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('doctor: 4 check(s) failed');
    const fixOf = (check: string) => {
      const lines = result.stdout.split('\n');
      const index = lines.findIndex((line) => line.startsWith(`FAIL  ${check}`));
      expect(index, `${check} failed`).toBeGreaterThanOrEqual(0);
      return lines[index + 1] ?? '';
    };
    expect(fixOf('mqtt client')).toContain('fix: start the broker or fix mqtt.client.url');
    expect(fixOf('opcua')).toContain('fix: check the PLC is on and opcua.endpointUrl');
    expect(fixOf('chain')).toContain('fix: start the node or fix the RPC URL');
    expect(fixOf('influxdb')).toContain('fix: start influxd');
  });

  it('reports an invalid config with exit 2', async () => {
    const site = writeSite(fleet.manifest, { mqtt: { embedded: { port: 'eighty' } } });
    sites.push(site);
    const result = await runPledgeguard(['doctor', '--config', site.configFile]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('FAIL  config');
    expect(result.stdout).toContain('mqtt.embedded.port');
  });
});
