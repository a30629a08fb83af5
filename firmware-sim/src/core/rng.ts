// Seeded pseudo-random numbers for device physics: sfc32 (Chris Doty-Humphrey's Small Fast
// Counter, PractRand-clean) seeded through splitmix32. Deterministic across platforms, so a
// scenario's seed replays the same noise bit for bit. Not for keys: keys come from node:crypto.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal, mean 0, sd 1 (Box-Muller; one pair per call keeps the stream simple). */
  normal(): number;
  /** Integer in [0, n). */
  below(n: number): number;
}

/** FNV-1a over a string: derives per-device streams from one scenario seed. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number, stream = ''): Rng {
  const init = splitmix32(hashString(stream, seed >>> 0) ^ (seed >>> 0));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Warm-up: sfc32 mixes poorly in its first outputs.
  for (let i = 0; i < 12; i++) next32();
  const next = (): number => next32() / 4_294_967_296;
  return {
    next,
    normal: () => {
      const u = 1 - next(); // (0, 1]: log(0) never happens
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    below: (n) => Math.floor(next() * n),
  };
}
