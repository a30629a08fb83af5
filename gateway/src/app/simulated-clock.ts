// The gateway's clock in simulations and tests (config `simulation`, never on a real site): the
// time-scaled warehouse clock of firmware-sim's Fleet, so a gateway in its own process
// (`pledgeguard start`) sees a time-scaled story's device times as live, not as clock skew.
//   warehouse time = warehouseOriginMs + (wall now - wallOriginMs) x timeScale
// standing at warehouseOriginMs before wallOriginMs (the Fleet's clock stands at the start until
// it runs) and at warehouseEndMs after it (the Fleet's stops at the story's end).
import type { GatewayConfig } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';

export type SimulationConfig = NonNullable<GatewayConfig['simulation']>;

/** The scaled warehouse clock of `simulation`, reading wall time from `wall`. */
export function simulatedClock(simulation: SimulationConfig, wall: Clock = systemClock): Clock {
  const { timeScale, wallOriginMs, warehouseOriginMs, warehouseEndMs } = simulation;
  return {
    nowMs: () => {
      const nowMs = warehouseOriginMs + Math.max(0, wall.nowMs() - wallOriginMs) * timeScale;
      return Math.floor(warehouseEndMs === undefined ? nowMs : Math.min(nowMs, warehouseEndMs));
    },
  };
}

/** The gateway's clock for a config: the system clock unless `simulation` is set. */
export function gatewayClock(
  config: Pick<GatewayConfig, 'simulation'>,
  wall: Clock = systemClock,
): Clock {
  return config.simulation ? simulatedClock(config.simulation, wall) : wall;
}
