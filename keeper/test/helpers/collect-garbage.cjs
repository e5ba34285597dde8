/* global global, setInterval */
/**
 * Preloaded into the `hardhat node` processes of the keeper's tests and bench (node --expose-gc --require).
 *
 * EDR hands every call's execution trace to JavaScript as a native object whose memory V8 cannot see, so V8 sees
 * no reason to collect it: measured on hardhat 2.29 (EDR 0.12), a node answering `liquidatableAmong` over 500
 * accounts grew by ~520 MB per call and was OOM-killed at ~21 GB. A full collection every half second keeps the
 * node at a plateau (~6 GB in the same run) for ~30 ms of work each time.
 */
setInterval(() => global.gc(), 500).unref();
