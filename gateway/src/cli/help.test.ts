import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from './program.js';
import { runPledgeguard } from './testing.js';

/** Every command path in the tree, e.g. ['devices', 'rotate']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands
    .filter((child) => child.name() !== 'help')
    .flatMap((child) => {
      const path = [...prefix, child.name()];
      return [path, ...commandPaths(child, path)];
    });
}

function capture() {
  const lines: string[] = [];
  return {
    lines,
    out: {
      log: (line: string) => lines.push(line),
      progress: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
    },
  };
}

describe('pledgeguard --help', () => {
  const paths = commandPaths(buildProgram(capture().out));

  it('covers the commands of issue 8', () => {
    const names = paths.map((path) => path.join(' '));
    for (const expected of [
      'start',
      'devices import',
      'devices revoke',
      'devices rotate',
      'certs list',
      'certs approve',
      'quarantine list',
      'quarantine replay',
      'verify',
      'deploy',
      'tokens create',
      'tokens list',
      'tokens revoke',
      'doctor',
    ])
      expect(names).toContain(expected);
  });

  it.each(paths.map((path) => [path.join(' '), path] as const))(
    'every command has a description and answers --help with exit 0: %s',
    async (_, path) => {
      const { lines, out } = capture();
      const program = buildProgram(out);
      let command = program;
      for (const name of path) command = command.commands.find((child) => child.name() === name)!;
      expect(command.description().length).toBeGreaterThan(20);
      for (const option of command.options) expect(option.description.length).toBeGreaterThan(3);
      expect(await runCli([...path, '--help'], out)).toBe(0);
      const text = lines.join('\n');
      expect(text).toContain(`Usage: pledgeguard ${path.join(' ')}`);
      expect(text).toContain(command.description().slice(0, 30));
    },
  );

  it('the installed bin prints the help and exits 0; an unknown command exits 2', async () => {
    const help = await runPledgeguard(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 a failed check or operation, 2 bad usage');
    const unknown = await runPledgeguard(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});
