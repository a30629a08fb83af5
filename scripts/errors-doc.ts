// Renders docs/errors.md from the code catalogue (protocol/src/codes.ts).
import { CODES } from '../protocol/src/codes.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(CODES).map(
    ([code, info]) => `| \`${code}\` | ${info.stage} | ${info.meaning} | ${info.fix} |`,
  );
  return [
    '# Error codes',
    '',
    'Every failure PledgeGuard reports for outside input carries one of these codes, as a value',
    '(`{ ok: false, code, detail }`), never as a thrown error. The table is generated from',
    '`protocol/src/codes.ts` by `npm run docs:errors`; a test fails when the two differ.',
    '',
    '| code | stage | meaning | fix |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
