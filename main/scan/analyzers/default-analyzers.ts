/**
 * @module scan/analyzers
 * The analyzers a scan runs by default, in the order the reader offers a file to them (first match reads it).
 * RPM is absent on purpose: see DESIGN.md "Software inventory" (rpmdb is SQLite or Berkeley DB).
 */
import type { Analyzer } from '../types.js';
import { apkAnalyzer } from './apk.js';
import { dpkgAnalyzer } from './dpkg.js';
import { goBinaryAnalyzer } from './go-buildinfo.js';
import { javaAnalyzer } from './java.js';
import { npmAnalyzer } from './npm.js';
import { pythonAnalyzer } from './python.js';

export const DEFAULT_ANALYZERS: readonly Analyzer[] = [
  dpkgAnalyzer,
  apkAnalyzer,
  npmAnalyzer,
  pythonAnalyzer,
  javaAnalyzer,
  goBinaryAnalyzer,
];
