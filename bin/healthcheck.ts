#!/usr/bin/env node
/**
 * @module The Docker image's HEALTHCHECK command: exit 0 when the service in this container
 * answers `/health` with 200 (over HTTPS or HTTP), 1 otherwise. See src/cli/container-health.ts.
 */
import { checkContainerHealth } from '../src/cli/container-health.js';

checkContainerHealth(process.env).then(
  (healthy) => {
    process.exitCode = healthy ? 0 : 1;
  },
  () => {
    process.exitCode = 1;
  },
);
