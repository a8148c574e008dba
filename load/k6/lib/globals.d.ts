/** k6 provides `console` in every script; @types/k6 does not declare it (no DOM or Node types here). */
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
