#!/usr/bin/env node
// Launcher for dist/main.js. It lives outside dist/ so that `pnpm install` can link the
// `mqtt-e2ee` bin in a fresh checkout, before the first build has created dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("mqtt-e2ee: dist/main.js is missing; run 'pnpm build' at the repository root first\n");
  process.exit(1);
}
await import(main.href);
