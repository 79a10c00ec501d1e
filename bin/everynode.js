#!/usr/bin/env node
// Entry point of the `everynode` command; the program lives in dist/ (built by `npm run build`).
import '../dist/cli/main.js';
