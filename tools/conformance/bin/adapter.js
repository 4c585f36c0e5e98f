#!/usr/bin/env node
import { runAdapter } from '../dist/adapter.js';

process.exitCode = await runAdapter(process.argv.slice(2));
