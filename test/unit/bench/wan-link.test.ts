import { describe, expect, it } from 'vitest';
import { SEGMENT_BYTES, WanLink } from '../../../load/bench/geo/wan-link.js';

// 100 Mbit/s is 12,500 bytes per millisecond: a 12,500-byte chunk occupies the link for 1 ms.
const RATE = 100e6;
const CHUNK = 12_500;

describe('the geo benchmark WAN link model', () => {
  it('delivers a chunk RTT/2 after it was sent, plus the time it occupies the link', () => {
    const link = new WanLink({ rttMs: 150, rateBitsPerSecond: RATE });
    const { fromTarget } = link.connection(0);
    expect(fromTarget.send(CHUNK, 1_000)).toBe(1_000 + 1 + 75);
    expect(new WanLink({ rttMs: 150, rateBitsPerSecond: 0 }).connection(0).fromTarget.send(CHUNK, 1_000)).toBe(1_075);
  });

  it("holds a new connection's first byte toward the target until the handshake's round trip has passed", () => {
    const link = new WanLink({ rttMs: 100, rateBitsPerSecond: 0 });
    const { toTarget } = link.connection(1_000);
    expect(toTarget.send(100, 1_000)).toBe(1_150);
    expect(toTarget.send(100, 1_200)).toBe(1_250);
  });

  it('shares the bandwidth of one direction between every connection, first come first served', () => {
    const link = new WanLink({ rttMs: 0, rateBitsPerSecond: RATE });
    const a = link.connection(0).fromTarget;
    const b = link.connection(0).fromTarget;
    expect(a.send(CHUNK, 0)).toBe(1);
    expect(b.send(CHUNK, 0)).toBe(2);
    expect(a.send(CHUNK, 0)).toBe(3);
    // The other direction has its own capacity.
    expect(link.connection(0).toTarget.send(CHUNK, 0)).toBe(1);
  });

  it('starts a window at 10 segments and grows it by what is acknowledged, up to the maximum', () => {
    const link = new WanLink({ rttMs: 10, rateBitsPerSecond: 0, maxWindowBytes: 40 * SEGMENT_BYTES });
    const flow = link.connection(0).fromTarget;
    expect(flow.windowBytes).toBe(10 * SEGMENT_BYTES);
    flow.send(9 * SEGMENT_BYTES, 0);
    expect(flow.windowFull).toBe(false);
    flow.send(SEGMENT_BYTES, 0);
    expect(flow.windowFull).toBe(true);
    flow.acknowledged(10 * SEGMENT_BYTES);
    expect(flow.windowFull).toBe(false);
    expect(flow.windowBytes).toBe(20 * SEGMENT_BYTES);
    flow.acknowledged(0);
    flow.send(30 * SEGMENT_BYTES, 0);
    flow.acknowledged(30 * SEGMENT_BYTES);
    expect(flow.windowBytes).toBe(40 * SEGMENT_BYTES);
  });

  it("restarts an idle sender's window as Linux does: halved per RTO (RTT + 200 ms) idle, to 10 segments", () => {
    /** A flow whose window grew to 40 segments, everything acknowledged, last sent at 0 ms. */
    const grown = (options: { slowStartAfterIdle?: boolean } = {}) => {
      const link = new WanLink({ rttMs: 100, rateBitsPerSecond: 0, ...options });
      const flow = link.connection(0).fromTarget;
      flow.send(30 * SEGMENT_BYTES, 0);
      flow.acknowledged(30 * SEGMENT_BYTES);
      expect(flow.windowBytes).toBe(40 * SEGMENT_BYTES);
      return flow;
    };
    const windowAfterIdle = (idleMs: number, options?: { slowStartAfterIdle?: boolean }) => {
      const flow = grown(options);
      flow.send(1, idleMs);
      return flow.windowBytes / SEGMENT_BYTES;
    };
    expect(windowAfterIdle(300)).toBe(40);
    expect(windowAfterIdle(301)).toBe(20);
    expect(windowAfterIdle(601)).toBe(10);
    expect(windowAfterIdle(5_000)).toBe(10);
    // Turned off (tcp_slow_start_after_idle=0), the window survives any pause.
    expect(windowAfterIdle(5_000, { slowStartAfterIdle: false })).toBe(40);
    // A sender still waiting for acknowledgements is not idle.
    const busy = grown();
    busy.send(SEGMENT_BYTES, 10);
    busy.send(SEGMENT_BYTES, 5_000);
    expect(busy.windowBytes).toBe(40 * SEGMENT_BYTES);
  });

  it('delays a chunk with a lost segment by RTT + 200 ms, and the chunks after it on its connection', () => {
    const draws = [0, 0.999];
    const link = new WanLink({ rttMs: 100, rateBitsPerSecond: 0, loss: 0.01, random: () => draws.shift() ?? 0.999 });
    const flow = link.connection(0).fromTarget;
    expect(flow.send(100, 0)).toBe(50 + 100 + 200);
    expect(flow.send(100, 10)).toBe(350);
    expect(flow.send(100, 400)).toBe(450);
    // Another connection does not wait.
    expect(link.connection(0).fromTarget.send(100, 10)).toBe(60);
  });

  it('loses a chunk with the probability that one of its segments is lost', () => {
    const link = (draw: number) => new WanLink({ rttMs: 0, rateBitsPerSecond: 0, loss: 0.1, random: () => draw });
    // Two segments: 1 - 0.9^2 = 0.19.
    expect(link(0.18).lost(2 * SEGMENT_BYTES)).toBe(true);
    expect(link(0.2).lost(2 * SEGMENT_BYTES)).toBe(false);
    expect(new WanLink({ rttMs: 0, rateBitsPerSecond: 0, random: () => 0 }).lost(SEGMENT_BYTES)).toBe(false);
  });

  it('refuses a negative RTT or rate and a loss outside [0, 1)', () => {
    expect(() => new WanLink({ rttMs: -1, rateBitsPerSecond: 0 })).toThrow(/rtt/);
    expect(() => new WanLink({ rttMs: 0, rateBitsPerSecond: -5 })).toThrow(/rate/);
    expect(() => new WanLink({ rttMs: 0, rateBitsPerSecond: 0, loss: 1 })).toThrow(/loss/);
    expect(() => new WanLink({ rttMs: Number.NaN, rateBitsPerSecond: 0 })).toThrow(/rtt/);
  });
});
