/** The `ScanStore` contract on LMDB, in a temporary metadata environment. */
import { join } from 'node:path';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbScanStore } from '../../../main/metadata/lmdb/scans.js';
import { describeScanStore } from '../../contract/scans.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeScanStore('LMDB', async () => {
  const temp = await createTempDir('outpost-scan-store-');
  const db = openMainEnvironment(join(temp.path, 'db'));
  return {
    store: createLmdbScanStore(db.root),
    reopen: async () => createLmdbScanStore(db.root),
    async cleanup() {
      await db.close();
      await temp.remove();
    },
  };
});
