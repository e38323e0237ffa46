/**
 * A circuit breaker per origin, kept per isolate.
 *
 * closed → (N consecutive failures) → open → (cooldown) → half-open → one probe → closed or open.
 *
 * Only plain numbers live here, never a promise: workerd cancels a promise that one request
 * awaits when another request created it, so requests must not share awaitables. The half-open
 * probe is a lease with an expiry instead of an in-flight promise: if the probing request dies
 * without reporting, the lease runs out and the next request probes.
 *
 * The breaker also remembers an origin's `Retry-After`: until then no request from this isolate
 * calls it (each waits if its budget allows, or falls back at once).
 */

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before a probe is allowed. */
  cooldownMs: number;
  /** How long a probe may take before another request may probe instead. */
  probeLeaseMs: number;
}

export type Permit = { ok: true; probe: boolean } | { ok: false; state: BreakerState; retryInMs: number };

export class CircuitBreaker {
  options: BreakerOptions;
  #now: () => number;
  #failures = 0;
  #openedAt: number | null = null;
  #probeUntil = 0;
  #deferUntil = 0;

  constructor(options: BreakerOptions, now: () => number = Date.now) {
    this.options = options;
    this.#now = now;
  }

  get state(): BreakerState {
    if (this.#openedAt === null) return "closed";
    return this.#now() - this.#openedAt >= this.options.cooldownMs ? "half-open" : "open";
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Asks to call the origin. In half-open state exactly one caller gets `probe: true`. */
  acquire(): Permit {
    const now = this.#now();
    if (this.#openedAt === null) return { ok: true, probe: false };
    const reopenIn = this.#openedAt + this.options.cooldownMs - now;
    if (reopenIn > 0) return { ok: false, state: "open", retryInMs: reopenIn };
    if (now < this.#probeUntil) return { ok: false, state: "half-open", retryInMs: this.#probeUntil - now };
    this.#probeUntil = now + this.options.probeLeaseMs;
    return { ok: true, probe: true };
  }

  /** The origin answered well (or at least answered: 4xx, 429). */
  success(permit: Permit): void {
    if (!permit.ok) return;
    if (permit.probe || this.#openedAt === null) {
      this.#openedAt = null;
      this.#failures = 0;
      this.#probeUntil = 0;
    }
    // A late success from before the breaker opened does not close it: only a probe does.
  }

  /**
   * Why a call could not happen now, without taking a permit (no probe lease is used up):
   * `breaker-open` (open, or half-open with its probe out) or `rate-limited` (a Retry-After
   * longer than `budgetMs`); undefined when a call may proceed.
   */
  blockedFor(budgetMs: number): "breaker-open" | "rate-limited" | undefined {
    const now = this.#now();
    if (this.#openedAt !== null && (now - this.#openedAt < this.options.cooldownMs || now < this.#probeUntil))
      return "breaker-open";
    if (this.#deferUntil - now > budgetMs) return "rate-limited";
    return undefined;
  }

  /** The origin failed (5xx, timeout, network, cut stream). */
  failure(permit: Permit): void {
    if (!permit.ok) return;
    const now = this.#now();
    if (permit.probe) {
      this.#openedAt = now;
      this.#probeUntil = 0;
      return;
    }
    if (this.#openedAt !== null) return;
    this.#failures++;
    if (this.#failures >= this.options.failureThreshold) this.#openedAt = now;
  }

  /** Releases a probe lease without a verdict (the caller gave up before the origin answered). */
  release(permit: Permit): void {
    if (permit.ok && permit.probe) this.#probeUntil = 0;
  }

  /** The origin asked us to come back later (`Retry-After`). */
  deferUntil(at: number): void {
    this.#deferUntil = Math.max(this.#deferUntil, at);
  }

  /** Milliseconds until the origin's `Retry-After` has passed (0 when it has). */
  deferredMs(): number {
    return Math.max(0, this.#deferUntil - this.#now());
  }
}

const breakers = new Map<string, CircuitBreaker>();

/**
 * The isolate's breaker for `key` (the origin's base URL). New options (a config change) apply
 * to the existing breaker; its state is kept.
 */
export function breakerFor(key: string, options: BreakerOptions): CircuitBreaker {
  let breaker = breakers.get(key);
  if (!breaker) breakers.set(key, (breaker = new CircuitBreaker(options)));
  else breaker.options = options;
  return breaker;
}
