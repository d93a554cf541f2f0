import { ConflictError } from '@wagate/contracts';

/** Thrown when a newer owner (higher epoch) has claimed the session: this worker must drop it. */
export class StaleEpochError extends ConflictError {
  constructor(
    readonly sessionId: string,
    readonly epoch: number,
    readonly currentEpoch: number | null,
  ) {
    super(
      currentEpoch === null
        ? `Session ${sessionId}: auth state was removed; epoch ${epoch} may no longer write.`
        : `Session ${sessionId}: epoch ${epoch} is stale (now ${currentEpoch}).`,
      'STALE_EPOCH',
    );
  }
}
