// Local chain: starts anvil (the binary shipped in @foundry-rs/anvil) on a free loopback port.
// Always with --prune-history (PLATFORM.md: without it anvil keeps every block state under
// ~/.foundry and fills the disk). The child dies with its parent: it runs under a tiny shell that
// kills it when our stdin pipe closes, which happens on any exit of this process, even SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The mnemonic anvil derives its funded dev accounts from (public; never use it elsewhere). */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface AnvilOptions {
  /** Chain id; default 31337. */
  chainId?: number;
  /** Funded dev accounts derived from ANVIL_MNEMONIC; default 20. */
  accounts?: number;
  /** Seconds between blocks; default: a block per transaction (automine). */
  blockTimeSeconds?: number;
  /** Genesis timestamp [unix s]. */
  genesisTimestamp?: number;
  /** Time to wait for anvil to listen [ms]; default 10,000. */
  startTimeoutMs?: number;
  /**
   * Keep the chain in this file across runs (`--state`: loaded at start when it exists, written
   * every `stateIntervalS` and at exit). Default: a throwaway chain.
   */
  stateFile?: string;
  /** Seconds between state dumps when stateFile is set; default 5. */
  stateIntervalS?: number;
}

export interface AnvilHandle {
  readonly rpcUrl: string;
  readonly port: number;
  readonly chainId: number;
  /** The anvil command line (always with --prune-history). */
  readonly args: readonly string[];
  /** Stops anvil and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Path of the anvil binary for this platform, from the @foundry-rs/anvil-<os>-<arch> package. */
export function anvilBinary(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new RangeError(`anvil: unsupported architecture ${process.arch}`);
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

// `$0` is anvil; the shell kills it when stdin reaches EOF (parent gone or stop()).
const WATCHDOG =
  '"$0" "$@" & child=$!; trap "kill $child 2>/dev/null" EXIT; cat >/dev/null; kill $child 2>/dev/null; wait $child';

/** Starts anvil on 127.0.0.1 with an OS-chosen port; resolves once it listens. */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilHandle> {
  const chainId = options.chainId ?? 31337;
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--prune-history',
    '--chain-id',
    String(chainId),
    '--accounts',
    String(options.accounts ?? 20),
    '--mnemonic',
    ANVIL_MNEMONIC,
  ];
  if (options.blockTimeSeconds !== undefined)
    args.push('--block-time', String(options.blockTimeSeconds));
  if (options.genesisTimestamp !== undefined)
    args.push('--timestamp', String(options.genesisTimestamp));
  if (options.stateFile !== undefined)
    args.push(
      '--state',
      options.stateFile,
      '--state-interval',
      String(options.stateIntervalS ?? 5),
    );

  const child = spawn('sh', ['-c', WATCHDOG, anvilBinary(), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await waitForListening(child, options.startTimeoutMs ?? 10_000);
  let stopped: Promise<void> | undefined;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    chainId,
    args,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
      });
      return stopped;
    },
  };
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.stdin?.end();
      reject(new Error(`anvil did not listen within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining so anvil never blocks on a full pipe
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with ${code} before listening:\n${output}`));
    });
  });
}
