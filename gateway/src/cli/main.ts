// Entry of the `pledgeguard` CLI (gateway/bin/pledgeguard.js, `npm run pledgeguard -- <command>`).
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// `start` keeps the process alive until a signal; every other command ends here.
if (process.argv[2] !== 'start' || code !== 0) process.exit(code);
