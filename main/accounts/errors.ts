/** @module Account failures with stable codes; the API layer maps each code to a status. */

export type AccountErrorCode =
  /** No credentials (or none that identify a user) where a signed-in user is needed. */
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_INPUT'
  /** A signed-in user without the right. */
  | 'NO_PERMISSION';

export class AccountError extends Error {
  constructor(readonly code: AccountErrorCode, message: string) {
    super(message);
    this.name = 'AccountError';
  }
}
