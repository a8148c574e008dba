/** The `AuditStore` contract on LMDB, in a temporary metadata environment. */
import { join } from 'node:path';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbAuditStore } from '../../../main/metadata/lmdb/audit.js';
import { describeAuditStore } from '../../contract/audit.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeAuditStore('LMDB', async () => {
  const temp = await createTempDir('outpost-audit-store-');
  const db = openMainEnvironment(join(temp.path, 'db'));
  return {
    store: createLmdbAuditStore(db.root),
    async cleanup() {
      await db.close();
      await temp.remove();
    },
  };
});
