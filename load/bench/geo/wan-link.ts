/**
 * @module The model of a wide-area link the geo benchmark puts between main and a far region,
 * in user space because this kernel has no `netem` delay qdisc. Pure: time comes from the
 * caller, randomness from an injected function, so the model is tested without sockets.
 *
 * What it models, per direction of the link:
 * - propagation: every byte arrives RTT/2 after it left, and a new connection's first byte one
 *   RTT later still (the TCP handshake the relay, accepting locally, does not make cross);
 * - bandwidth: one FIFO serializer shared by every connection crossing the link (a token
 *   bucket of zero depth: a chunk of n bytes occupies the link for n*8/rate seconds, after the
 *   chunks queued before it), so ten connections share 100 Mbit/s as they would;
 * - TCP's window, per connection: at most `cwnd` bytes in flight (sent, not yet acknowledged
 *   RTT later); slow start from 10 segments, doubling per round trip up to `maxWindowBytes`
 *   (a receive window). So a fresh connection pays its ramp-up, as on a real long link;
 * - slow start after idle, as Linux does by default (`net.ipv4.tcp_slow_start_after_idle=1`):
 *   a sender with nothing in flight that sent nothing for longer than one retransmission
 *   timeout (RTT + 200 ms) halves its window per timeout elapsed, down to 10 segments, before
 *   it sends again (tcp_cwnd_restart). So a kept-alive connection that sat idle ramps up again;
 * - loss, if asked: each 1448-byte segment is lost with probability p; a chunk holding a lost
 *   segment arrives one retransmission timeout (RTT + 200 ms, Linux's minimum RTO) late, and
 *   every later chunk of that connection waits behind it (TCP delivers in order).
 *
 * What it does not model: the slow start threshold (a restarted window doubles back up to the
 * maximum, where Linux doubles it to 3/4 of the old window and grows it linearly after), the
 * window halving a real TCP does after a loss (so throughput under loss is optimistic), router
 * queue limits and drops (the serializer's queue is bounded only by the windows), delayed
 * ACKs, or the ACK path's own bandwidth.
 */

export const SEGMENT_BYTES = 1448;
/** Linux's initial congestion window (RFC 6928). */
const INITIAL_WINDOW_BYTES = 10 * SEGMENT_BYTES;
/** Linux's TCP_RTO_MIN. */
const MIN_RTO_MS = 200;

export interface WanLinkOptions {
  /** Round-trip time, ms: each direction delays by half of it. */
  rttMs: number;
  /** Bits per second, per direction; 0: unlimited. */
  rateBitsPerSecond: number;
  /** Probability that one segment is lost, from 0 (default) to below 1. */
  loss?: number;
  /** A connection's largest window (its receive window), bytes. Default 4 MiB. */
  maxWindowBytes?: number;
  /**
   * Whether an idle connection's window restarts (Linux's `tcp_slow_start_after_idle`, on by
   * default; servers tuned for keep-alive turn it off). Default true.
   */
  slowStartAfterIdle?: boolean;
  /** Uniform in [0, 1): Math.random by default; a seeded one in tests. */
  random?: () => number;
}

/** One direction of the link: the serializer all connections share. */
class Serializer {
  #freeAtMs = 0;
  constructor(private readonly bytesPerMs: number) {}

  /** When a chunk of `bytes` handed over at `nowMs` has left the link's sending end. */
  departure(bytes: number, nowMs: number): number {
    if (this.bytesPerMs === 0) return nowMs;
    this.#freeAtMs = Math.max(nowMs, this.#freeAtMs) + bytes / this.bytesPerMs;
    return this.#freeAtMs;
  }
}

/** One direction of one connection: its window and its in-order arrival times. */
export class Flow {
  #inFlight = 0;
  #cwnd = INITIAL_WINDOW_BYTES;
  #lastArrivalMs = 0;
  /** When this flow last sent, or undefined before its first send. */
  #lastSentMs: number | undefined;

  /** @param earliestArrivalMs no byte arrives before this (the handshake of a new connection). */
  constructor(
    private readonly link: WanLink,
    private readonly serializer: Serializer,
    earliestArrivalMs = 0,
  ) {
    this.#lastArrivalMs = earliestArrivalMs;
  }

  /** True while the sender must wait for acknowledgements before sending more. */
  get windowFull(): boolean {
    return this.#inFlight >= this.#cwnd;
  }

  get windowBytes(): number {
    return this.#cwnd;
  }

  /** A chunk of `bytes` is sent at `nowMs`: returns when it arrives at the other end. */
  send(bytes: number, nowMs: number): number {
    if (this.#inFlight === 0 && this.#lastSentMs !== undefined) this.#restartAfterIdle(nowMs - this.#lastSentMs);
    this.#lastSentMs = nowMs;
    this.#inFlight += bytes;
    let arrival = this.serializer.departure(bytes, nowMs) + this.link.rttMs / 2;
    if (this.link.lost(bytes)) arrival += this.link.rttMs + MIN_RTO_MS;
    this.#lastArrivalMs = Math.max(arrival, this.#lastArrivalMs);
    return this.#lastArrivalMs;
  }

  /** Linux's tcp_cwnd_restart: the window halves per retransmission timeout of idleness. */
  #restartAfterIdle(idleMs: number): void {
    const rtoMs = this.link.rttMs + MIN_RTO_MS;
    if (!this.link.slowStartAfterIdle || idleMs <= rtoMs) return;
    const restart = Math.min(INITIAL_WINDOW_BYTES, this.#cwnd);
    let cwnd = this.#cwnd;
    for (let left = idleMs - rtoMs; left > 0 && cwnd > restart; left -= rtoMs) cwnd = Math.floor(cwnd / 2);
    this.#cwnd = Math.max(cwnd, restart);
  }

  /** The receiver took `bytes`; the sender learns it RTT/2 later (the caller's timer). */
  acknowledged(bytes: number): void {
    this.#inFlight -= bytes;
    // Slow start: the window grows by what was acknowledged, i.e. doubles per round trip.
    this.#cwnd = Math.min(this.link.maxWindowBytes, this.#cwnd + bytes);
  }
}

export class WanLink {
  readonly rttMs: number;
  readonly maxWindowBytes: number;
  readonly slowStartAfterIdle: boolean;
  readonly #loss: number;
  readonly #random: () => number;
  readonly #up: Serializer;
  readonly #down: Serializer;

  constructor(options: WanLinkOptions) {
    if (!(options.rttMs >= 0)) throw new Error(`rtt: expected milliseconds >= 0, got ${options.rttMs}`);
    if (!(options.rateBitsPerSecond >= 0))
      throw new Error(`rate: expected bits per second >= 0, got ${options.rateBitsPerSecond}`);
    const loss = options.loss ?? 0;
    if (!(loss >= 0 && loss < 1)) throw new Error(`loss: expected a probability in [0, 1), got ${loss}`);
    this.rttMs = options.rttMs;
    this.maxWindowBytes = options.maxWindowBytes ?? 4 * 1024 * 1024;
    this.slowStartAfterIdle = options.slowStartAfterIdle ?? true;
    this.#loss = loss;
    this.#random = options.random ?? Math.random;
    const bytesPerMs = options.rateBitsPerSecond / 8 / 1000;
    this.#up = new Serializer(bytesPerMs);
    this.#down = new Serializer(bytesPerMs);
  }

  /**
   * A new connection, accepted at `nowMs`: `toTarget` carries what the client sends, `fromTarget`
   * the replies. The relay accepts at once, but a real client could send its first byte only
   * after the SYN and SYN-ACK crossed the link (one RTT), so it arrives no earlier than 1.5 RTT.
   */
  connection(nowMs: number): { toTarget: Flow; fromTarget: Flow } {
    return {
      toTarget: new Flow(this, this.#up, nowMs + 1.5 * this.rttMs),
      fromTarget: new Flow(this, this.#down),
    };
  }

  /** Whether a chunk of `bytes` loses at least one of its segments. */
  lost(bytes: number): boolean {
    if (this.#loss === 0) return false;
    const segments = Math.ceil(bytes / SEGMENT_BYTES);
    return this.#random() < 1 - (1 - this.#loss) ** segments;
  }
}
