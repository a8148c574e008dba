/** @module Account failures with stable codes; the API layer maps each code to a status. */

export type AccountErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_INPUT'
  | 'NO_PERMISSION'
  /** The operation would leave something behind that must go first (an account's repositories). */
  | 'CONFLICT';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}
