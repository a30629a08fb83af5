// `npm start`: runs the whole system on embedded defaults. Parts land issue by issue; until the
// system is complete this prints what runs and what is not there yet, and exits 0.

interface Part {
  readonly name: string;
  readonly ready: boolean;
  readonly what: string;
}

const parts: Part[] = [
  {
    name: 'protocol',
    ready: true,
    what: 'signed-reading wire format (COSE_Sign1), strict decoder, signers and verifiers',
  },
  {
    name: 'contracts + anvil chain',
    ready: false,
    what: 'receipts, custody oracle, price feed, loans on a local anvil',
  },
  {
    name: 'firmware-sim',
    ready: false,
    what: 'simulated signed devices over MQTT and an OPC UA PLC',
  },
  {
    name: 'gateway ingest',
    ready: false,
    what: 'embedded broker, verification pipeline, SQLite evidence log',
  },
  {
    name: 'gateway custody + chain feeder',
    ready: false,
    what: 'custody per lot and attestations on chain',
  },
  { name: 'dashboard', ready: false, what: 'the bank and operator web page' },
];

console.log('PledgeGuard: what `npm start` runs today');
for (const part of parts) {
  console.log(`  ${part.ready ? '[ready]    ' : '[not yet]  '} ${part.name}: ${part.what}`);
}
const missing = parts.filter((part) => !part.ready).length;
if (missing > 0) {
  console.log(
    `\n${missing} part(s) are not built yet, so there is no system to start. Run \`npm test\` to check what is.`,
  );
}
