/** @module Removing ended jobs past their retention, a batch per transaction so that no transaction grows large. */
import type { JobStore } from '../metadata/jobs.js';

const BATCH = 1000;

/** Removes every job that ended before `before`; returns how many. */
export async function purgeEndedJobs(store: JobStore, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await store.deleteEndedBefore(before, BATCH);
    total += removed;
    if (removed < BATCH) return total;
  }
}
