// Worker-thread entry: Node 20 does not carry the parent's `--import tsx` loader into workers,
// so register tsx here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./shard-worker.ts');
