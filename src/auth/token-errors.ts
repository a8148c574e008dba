/** @module Why a token was refused, with a stable code; the HTTP layer answers 401 or 403. */

export type TokenErrorCode =
  | 'OUTPOST_TOKEN_MALFORMED'
  | 'OUTPOST_TOKEN_EXPIRED'
  | 'OUTPOST_TOKEN_SIGNATURE'
  | 'OUTPOST_TOKEN_UNKNOWN_KEY'
  | 'OUTPOST_TOKEN_CLAIMS';

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}
