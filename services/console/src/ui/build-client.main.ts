// `nx build console`: the web UI's bundle into services/console/dist/client.
import { buildClient, CLIENT_DIST } from './client-build';

buildClient(true).then(
  () => process.stdout.write(`console web UI built into ${CLIENT_DIST}\n`),
  (error: unknown) => {
    process.stderr.write(`console web UI build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
