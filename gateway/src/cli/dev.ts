// `pledgeguard dev`: the whole demo system, as `npm start` runs it (scripts/start.ts in the
// repository). It runs as a child process with this terminal, so Ctrl-C reaches it directly and
// it stops every part itself.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const START = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));

export async function runDev(
  options: Record<string, string | boolean | undefined>,
): Promise<number> {
  if (!existsSync(START))
    throw new Error(`pledgeguard dev needs a source checkout: ${START} is missing`);
  const args: string[] = [];
  if (options.reset === true) args.push('--reset');
  for (const [name, flag] of [
    ['dataDir', '--data-dir'],
    ['httpPort', '--http-port'],
    ['mqttPort', '--mqtt-port'],
    ['opcuaPort', '--opcua-port'],
  ] as const) {
    const value = options[name];
    if (typeof value === 'string') args.push(flag, value);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', START, ...args], { stdio: 'inherit' });
  // The terminal's Ctrl-C goes to the whole process group; the child handles it.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      process.off('SIGINT', ignore);
      resolve(code === 0 || code === null ? 0 : code === 2 ? 2 : 1);
    });
  });
}
