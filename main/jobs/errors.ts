/** @module Failures of the jobs service with stable codes; the API maps each code to a status (api-errors.ts). */

export type JobErrorCode =
  | 'NOT_FOUND'
  /** An unknown kind, a kind admins may not start, bad parameters, a bad schedule. */
  | 'INVALID_INPUT'
  /** The job has ended already (nothing to cancel). */
  | 'CONFLICT';

export class JobError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** The abort reason of a job cancelled through the API. */
export class JobCancelledError extends Error {
  readonly code = 'OUTPOST_JOB_CANCELLED';
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelledError';
  }
}

/** The abort reason of jobs running when main stops, or whose lease another replica took over. */
export class JobInterruptedError extends Error {
  readonly code = 'OUTPOST_JOB_INTERRUPTED';
  constructor(why: string) {
    super(`the job was interrupted: ${why}`);
    this.name = 'JobInterruptedError';
  }
}
