/**
 * The LMDB pruning owner (main/metadata/lmdb/pruning.ts): the contract suite on the embedded
 * backend exactly as main opens it (lmdb/open.ts wires the registry's deletes to the pull records).
 */
import { describePruningStore } from '../../contract/pruning-store.js';
import { openEmbeddedMetadata } from '../../../main/metadata/lmdb/open.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describePruningStore('LMDB', async () => {
  const temp = await createTempDir('outpost-pruning-');
  const metadata = openEmbeddedMetadata(temp.path);
  return {
    registry: metadata.registry,
    pruning: metadata.pruning,
    async cleanup() {
      await metadata.close();
      await temp.remove();
    },
  };
});
