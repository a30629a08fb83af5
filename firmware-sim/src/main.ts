// Process entry of the pledgeguard-sim CLI (bin/pledgeguard-sim.js loads it through tsx).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
