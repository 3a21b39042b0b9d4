/** The member every options bag ends with: a signal that stops waiting for the operation. */
export interface OperationOptions {
  abortSignal?: AbortSignal;
}
