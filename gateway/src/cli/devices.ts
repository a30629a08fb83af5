// `pledgeguard devices import|revoke|rotate|list`: the device registry in the evidence log. A
// running gateway re-reads the registry on its next start (or a quarantine replay).
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ALGS, nobleVerifier, parseManifest, type Alg } from '@pledgeguard/protocol';
import type { Command } from 'commander';
import { rotateDeviceKey } from '../adapters/sqlite/registry-admin.js';
import { systemClock } from '../ports/clock.js';
import { cliConfig, withStore } from './context.js';
import { CliError, usageError } from './errors.js';
import type { Output } from './output.js';

export function registerDevices(program: Command, out: Output): void {
  const devices = program
    .command('devices')
    .description('manage the device registry (import a manifest, revoke or rotate a key)');

  devices
    .command('import')
    .description('add or update devices and lots from a device manifest (PROTOCOL.md section 9)')
    .argument('<manifest>', 'manifest JSON file')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (file: string, options: { config?: string }) => {
      const config = cliConfig(options.config);
      const manifest = readManifest(file);
      if (manifest.warehouseId !== config.warehouseId)
        throw usageError(
          `manifest is for warehouse ${manifest.warehouseId}, the config for ${config.warehouseId}`,
        );
      await withStore(config, (store) => {
        try {
          const summary = store.importManifest(manifest, systemClock.nowMs());
          out.log(
            `imported ${file}: ${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged, ${manifest.lots.length} lots`,
          );
        } catch (error) {
          if (error instanceof RangeError)
            throw new CliError(
              `${error.message.replace('use rotateKey', 'use `pledgeguard devices rotate`')} (nothing was imported)`,
            );
          throw error;
        }
      });
    });

  devices
    .command('revoke')
    .description("revoke a device's key: its readings are refused from now on (PG_DEVICE_REVOKED)")
    .argument('<deviceId>', 'device id')
    .requiredOption('--reason <text>', 'why (kept in the registry)')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (deviceId: string, options: { reason: string; config?: string }) => {
      await withStore(cliConfig(options.config), (store) => {
        try {
          store.revokeDevice(deviceId, options.reason, systemClock.nowMs());
        } catch (error) {
          if (error instanceof RangeError) throw new CliError(error.message);
          throw error;
        }
        out.log(`revoked ${deviceId}: ${options.reason}`);
      });
    });

  devices
    .command('rotate')
    .description(
      'give a device a new key: key_version goes up, readings signed with the old key stay valid evidence, a revocation is cleared',
    )
    .argument('<deviceId>', 'device id')
    .requiredOption('--public-key <hex>', 'the new public key, hex')
    .option(
      '--alg <alg>',
      `signature algorithm: ${Object.keys(ALGS).join(', ')} (default: the current one)`,
    )
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(
      async (deviceId: string, options: { publicKey: string; alg?: string; config?: string }) => {
        await withStore(cliConfig(options.config), (store) => {
          const current = store.device(deviceId);
          if (!current) throw new CliError(`no device ${deviceId}`);
          const alg = parseAlg(options.alg ?? current.alg);
          const publicKey = parseKey(alg, options.publicKey);
          try {
            const result = rotateDeviceKey(
              store.database,
              deviceId,
              alg,
              publicKey,
              systemClock.nowMs(),
            );
            out.log(
              `rotated ${deviceId} to key version ${result.keyVersion} (${alg} ${bytesToHex(publicKey)})` +
                (result.wasRevoked ? '; the revocation is cleared' : ''),
            );
            out.log(
              'restart the gateway (or run `pledgeguard quarantine replay`) so it uses the new key',
            );
          } catch (error) {
            if (error instanceof RangeError) throw new CliError(error.message);
            throw error;
          }
        });
      },
    );

  devices
    .command('list')
    .description('list registered devices with their key version and state')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (options: { config?: string }) => {
      await withStore(cliConfig(options.config), (store) => {
        for (const device of store.devices())
          out.log(
            `${device.deviceId}  ${device.alg} v${device.keyVersion}  bay ${device.bayId}${device.lotId ? ` lot ${device.lotId}` : ''}  ${device.revoked ? 'REVOKED' : 'active'}`,
          );
      });
    });
}

function readManifest(file: string) {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usageError(`cannot read manifest ${file}: ${(error as Error).message}`);
  }
  const parsed = parseManifest(value);
  if (!parsed.ok) throw usageError(`invalid manifest ${file}: ${parsed.code} ${parsed.detail}`);
  return parsed.value;
}

function parseAlg(text: string): Alg {
  if (!(text in ALGS)) throw usageError(`--alg must be one of ${Object.keys(ALGS).join(', ')}`);
  return text as Alg;
}

/** The key must parse as a point of the curve, as the gateway's verifier will parse it. */
function parseKey(alg: Alg, hex: string): Uint8Array {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw usageError('--public-key must be hex');
  const publicKey = hexToBytes(clean.toLowerCase());
  const verifier = nobleVerifier(alg, publicKey);
  if (!verifier.ok) throw usageError(`--public-key is not a valid ${alg} key: ${verifier.detail}`);
  return publicKey;
}
