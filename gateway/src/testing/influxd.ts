// A real InfluxDB 1.x (Debian's `influxdb` package) for tests: its own config, bound to free
// loopback ports, data/meta/wal in a temp folder. apt does not start influxd; .ci/run installs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../firmware-sim/src/testing/brokers.js';

export const INFLUXD_MISSING =
  "influxd not found on PATH: install Debian's influxdb package (`apt-get install -y influxdb`; " +
  '.ci/run installs it before the tests)';

export class Influxd {
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly configPath: string,
  ) {}

  /** Starts influxd on a free loopback port; throws INFLUXD_MISSING when it is not installed. */
  static async start(): Promise<Influxd> {
    if (spawnSync('influxd', ['version'], { stdio: 'ignore' }).error)
      throw new Error(INFLUXD_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'pg-influxd-'));
    const port = await freePort();
    const rpcPort = await freePort();
    const configPath = join(dir, 'influxdb.conf');
    writeFileSync(
      configPath,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        '[http]',
        '  enabled = true',
        `  bind-address = "127.0.0.1:${port}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '[logging]',
        '  level = "warn"',
        '',
      ].join('\n'),
    );
    const influxd = new Influxd(dir, port, configPath);
    await influxd.resume();
    return influxd;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the process on the same port and data folders, and waits for /ping. */
  async resume(timeoutMs = 15_000): Promise<void> {
    if (this.#child) return;
    const child = spawn('influxd', ['-config', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (chunk: Buffer) =>
      (this.#output = (this.#output + chunk.toString()).slice(-4_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`influxd exited with ${child.exitCode}:\n${this.#output}`);
      try {
        const response = await fetch(`${this.url}/ping`);
        if (response.status === 204) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`influxd did not answer /ping within ${timeoutMs} ms:\n${this.#output}`);
  }

  /** Stops the process (an outage); the data folders stay. */
  async halt(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops influxd and deletes its folder. */
  async destroy(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
