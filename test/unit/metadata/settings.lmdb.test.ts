/** The `SettingsStore` contract on LMDB, in a temporary metadata environment. */
import { join } from 'node:path';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbSettingsStore } from '../../../main/metadata/lmdb/settings.js';
import { describeSettingsStore } from '../../contract/settings.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeSettingsStore('LMDB', async () => {
  const temp = await createTempDir('outpost-settings-store-');
  const db = openMainEnvironment(join(temp.path, 'db'));
  return {
    store: createLmdbSettingsStore(db.root),
    reopen: async () => createLmdbSettingsStore(db.root),
    async cleanup() {
      await db.close();
      await temp.remove();
    },
  };
});
