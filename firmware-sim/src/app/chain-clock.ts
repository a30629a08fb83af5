// Keeps anvil's block time in step with a scenario's scaled warehouse clock (Fleet.warehouseNowMs,
// up to 1440x), so loans, cure deadlines and attestation validity run on warehouse time.
// anvil_setTime moves anvil's clock (it then runs at 1x until the next tick); anvil accepts a
// time earlier than its last block, so we never set below the last block: block time never goes
// backwards. Between ticks the chain lags warehouse time by at most tickMs x timeScale; the
// oracle accepts an observedAt up to 300 s ahead of block time, so 50 ms at 1440x (72 s) is safe.
import type { JsonRpcProvider } from 'ethers';

/** Where anvil's clock should be set next [unix s], or undefined when it is already there. */
export function nextChainTimeS(
  warehouseNowMs: number,
  lastBlockTimestampS: number,
  lastSetS: number | undefined,
): number | undefined {
  const targetS = Math.max(Math.floor(warehouseNowMs / 1000), lastBlockTimestampS);
  if (lastSetS !== undefined && targetS <= lastSetS) return undefined;
  return targetS;
}

export interface ChainClockOptions {
  readonly provider: JsonRpcProvider;
  /** The warehouse clock [ms since epoch]. */
  readonly warehouseNowMs: () => number;
  /** Wall ms between syncs; default 50. */
  readonly tickMs?: number;
}

export class ChainClock {
  private timer: NodeJS.Timeout | undefined;
  private lastSetS: number | undefined;
  private pending: Promise<number> | undefined;
  /** Syncs performed and anvil_setTime calls made. */
  readonly stats = { syncs: 0, sets: 0, errors: 0 };

  constructor(private readonly options: ChainClockOptions) {}

  /** Syncs now, then every tickMs until stop(). */
  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch(() => this.stats.errors++);
    }, this.options.tickMs ?? 50);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Moves anvil's clock to the warehouse time (never below the last block); resolves with the
   * time set [unix s]. Concurrent callers share one round trip.
   */
  sync(): Promise<number> {
    this.pending ??= this.syncOnce().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async syncOnce(): Promise<number> {
    this.stats.syncs++;
    const { provider } = this.options;
    const block = await provider.getBlock('latest');
    const target = nextChainTimeS(
      this.options.warehouseNowMs(),
      block?.timestamp ?? 0,
      this.lastSetS,
    );
    if (target === undefined) return this.lastSetS!;
    await provider.send('anvil_setTime', [target]);
    this.stats.sets++;
    this.lastSetS = target;
    return target;
  }
}
