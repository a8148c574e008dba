/**
 * @module Lines up a config's history with the manifest's layers: each history entry without
 * `empty_layer` produced the next layer, in order (image-spec config.md, `history`). Builders do
 * not always agree with that rule (squashed images, hand-made configs): when the counts differ,
 * the extra layers are listed with no step and the extra steps with no layer, rather than guessing.
 */
import type { HistoryEntry } from './image-config.js';

export interface LayerView {
  digest: string;
  mediaType: string;
  /** Compressed bytes, as the manifest's descriptor gives them: what a pull downloads. */
  size: number;
}

export interface HistoryStep extends HistoryEntry {
  /** The layer this step produced; absent for an empty-layer step (or a step with no layer left). */
  layer?: LayerView & { index: number };
}

export function alignHistory(history: readonly HistoryEntry[], layers: readonly LayerView[]): HistoryStep[] {
  const steps: HistoryStep[] = [];
  let next = 0;
  for (const entry of history) {
    const layer = entry.emptyLayer ? undefined : layers[next];
    if (layer) {
      steps.push({ ...entry, layer: { ...layer, index: next } });
      next += 1;
    } else {
      steps.push({ ...entry });
    }
  }
  // Layers that no step claims (a config without history, or a shorter one).
  for (; next < layers.length; next++) steps.push({ emptyLayer: false, layer: { ...layers[next]!, index: next } });
  return steps;
}
