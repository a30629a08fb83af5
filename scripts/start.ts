// `npm start`: will run the whole system on embedded defaults (broker, chain, store, simulated
// devices, dashboard) once every part has landed (issue 8). Until then it lists the parts, how to
// run each built one on its own, and exits 0, so it never fails on a fresh clone.

interface Part {
  readonly name: string;
  readonly ready: boolean;
  readonly what: string;
}

const parts: Part[] = [
  { name: 'protocol', ready: true, what: 'signed-reading wire format (protocol/PROTOCOL.md)' },
  {
    name: 'contracts',
    ready: true,
    what: 'receipts, custody oracle, price feed, loans: npm run contracts:deploy -- --anvil',
  },
  {
    name: 'firmware-sim',
    ready: true,
    what: 'signed devices over MQTT and an OPC UA PLC: npm run sim -- --help',
  },
  {
    name: 'gateway ingest',
    ready: true,
    what: 'broker, verification, evidence log: see gateway/README.md "Running"',
  },
  {
    name: 'gateway custody + chain feeder',
    ready: false,
    what: 'custody per lot and attestations on chain',
  },
  { name: 'dashboard', ready: false, what: 'the bank and operator web page' },
  {
    name: 'one-command system',
    ready: false,
    what: 'all of the above wired together by npm start',
  },
];

console.log('PledgeGuard: the parts and how far they are');
for (const part of parts)
  console.log(`  ${part.ready ? '[ready]  ' : '[not yet]'} ${part.name}: ${part.what}`);
const missing = parts.filter((part) => !part.ready).length;
if (missing > 0) {
  console.log(
    `\n${missing} part(s) are not built yet, so npm start does not run the whole system yet.`,
  );
  console.log('Each built part runs on its own as shown; npm test checks everything.');
}
