// Per-key token buckets: `rate` tokens a second, up to `burst` held. This is nginx's limit_req with `burst=N
// nodelay` (and the usual shape of a connection-rate limit): up to `burst` at once, then `rate` a second, and
// what is over is refused at once rather than queued. A key whose bucket is full again is forgotten, so the map
// holds only the keys active in the last burst/rate seconds.

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key`: 0 when there was one, otherwise the milliseconds until there will be. */
  take(key: string): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: this.burst - 1, at: now });
      return 0;
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.rate);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** At most once a second: drop the buckets that have refilled completely. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    const fullAfterMs = (this.burst * 1000) / this.rate;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= fullAfterMs) this.buckets.delete(key);
  }
}
