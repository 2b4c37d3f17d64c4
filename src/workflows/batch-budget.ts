/**
 * A batch's budget under failover (workflow code: pure, deterministic).
 *
 * Each item in flight holds a reservation: the most its route could cost (failover pays each
 * provider of the route at most once, and only after the previous one reported its task failed
 * or created none); near the end of the budget, the part of its route that still fits. The reservation is passed to the
 * item's job as its `maxCost`, which the job enforces as a hard cap on its ledger before every
 * submit. When the item ends, the reservation is replaced by what its ledger says it spent. So
 * spent + reserved never exceeds `maxCost`, however the items' failovers interleave.
 */
import type { ProviderId } from '../request/unified-request.js';
import { type BatchSpend, roundUsd } from './batch-types.js';

export interface RoutePrice {
  provider: ProviderId;
  usd?: number;
}

export class BatchBudget {
  private readonly reservations = new Map<number, number>();
  private spentUsd: number;

  /** `alreadySpent`: what the items finished in earlier runs (continue-as-new chain) spent. */
  constructor(
    readonly maxCost: number,
    alreadySpent: number,
  ) {
    this.spentUsd = roundUsd(alreadySpent);
  }

  /** Spent plus reserved: the most the batch can have paid once everything in flight ends. */
  committed(): number {
    let reserved = 0;
    for (const usd of this.reservations.values()) reserved += usd;
    return roundUsd(this.spentUsd + reserved);
  }

  reserved(): number {
    return roundUsd(this.committed() - this.spentUsd);
  }

  /**
   * Reserves for the item at `position` what its route may cost. When what is left of the
   * budget pays for the whole route, the item keeps it (`providers` undefined); otherwise it
   * gets the providers of its route, in order, that fit together in what is left, and its job
   * is limited to those, so it cannot spend past its reservation even if a failover interleaves
   * with others. Undefined when not even one provider fits (yet): the caller waits for an item
   * in flight to settle, or stops.
   */
  reserve(
    position: number,
    route: readonly RoutePrice[],
  ): { usd: number; providers?: ProviderId[] } | undefined {
    const priced = route.filter((entry) => entry.usd !== undefined);
    if (priced.length === 0) return undefined;
    const available = roundUsd(this.maxCost - this.committed());
    const worst = roundUsd(priced.reduce((sum, entry) => sum + (entry.usd ?? 0), 0));
    if (worst <= available) {
      this.reservations.set(position, worst);
      return { usd: worst };
    }
    const providers: ProviderId[] = [];
    let usd = 0;
    for (const entry of priced) {
      if (roundUsd(usd + (entry.usd ?? 0)) > available) continue;
      usd = roundUsd(usd + (entry.usd ?? 0));
      providers.push(entry.provider);
    }
    if (providers.length === 0) return undefined;
    this.reservations.set(position, usd);
    return { usd, providers };
  }

  /**
   * The item ended: its reservation (returned) becomes what it spent. Unknown spend (a job whose ledger
   * could not be read) keeps the whole reservation, the most it could have spent.
   */
  settle(position: number, spend: BatchSpend | undefined, known: boolean): number {
    const reservation = this.reservations.get(position) ?? 0;
    this.reservations.delete(position);
    this.spentUsd = roundUsd(this.spentUsd + (known ? (spend?.usd ?? 0) : reservation));
    return reservation;
  }

  /** Spend that happened outside any reservation (a failed earlier job a retry replaces). */
  addSpent(usd: number): void {
    this.spentUsd = roundUsd(this.spentUsd + usd);
  }
}
