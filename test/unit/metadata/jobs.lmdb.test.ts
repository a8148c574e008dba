/** The `JobStore` contract on LMDB, in a temporary metadata environment. */
import { join } from 'node:path';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbJobStore } from '../../../main/metadata/lmdb/jobs.js';
import { describeJobStore } from '../../contract/jobs.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeJobStore('LMDB', async () => {
  const temp = await createTempDir('outpost-job-store-');
  const db = openMainEnvironment(join(temp.path, 'db'));
  return {
    store: createLmdbJobStore(db.root),
    reopen: async () => createLmdbJobStore(db.root),
    async cleanup() {
      await db.close();
      await temp.remove();
    },
  };
});
