// Time, injected: the core never reads a clock, and tests drive time by hand.
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
