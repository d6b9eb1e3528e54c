/**
 * The per-stream advisory lock lives with the other warehouse statements (src/warehouse/stream-lock.ts);
 * this module only forwards to it until its importers name the warehouse module directly.
 */
export { type StreamLock, StreamLockLostError, tryLockStream } from "../warehouse/stream-lock.js";
